"""gunicorn reads this file from the working directory (the project root, in the Procfile's and the
Docker image's commands), so every way Vigil is started gets it without a flag.

The access log masks the secrets in URLs (hook tokens, ping UUIDs, signed links): see
vigil/gunicorn_logging.py. The log format and destination stay as the command line sets them.
"""

logger_class = "vigil.gunicorn_logging.MaskingLogger"
