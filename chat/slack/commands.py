"""The slash command's words. `help` lists them all."""

from .dispatch import COMMANDS, Request, command, command_name, ephemeral, load


@command("help", usage="help", summary="What each command does.", in_request=True, permission="")
def help_(request: Request):
    load()
    name = command_name()
    lines = [f"*{name}* commands (inside an incident's channel the incident is implied):"]
    for handler in sorted(COMMANDS.values(), key=lambda h: h.name):
        lines.append(f"• `{name} {handler.usage}`: {handler.summary}")
    return ephemeral("\n".join(lines))
