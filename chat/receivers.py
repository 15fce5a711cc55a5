"""chat listens to incidents (incidents never imports chat): the incident channel and its card follow
the incident whatever changed it, and a page's Slack DM shows who acknowledged."""


def connect() -> None:
    """Connect the receivers (ChatConfig.ready). Each module connects its own; see chat.slack.*."""
    from .slack import channels

    channels.connect()
