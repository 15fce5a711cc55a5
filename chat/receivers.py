"""chat listens to incidents (incidents never imports chat): the incident channel and its card follow
the incident whatever changed it, and a page's Slack DM shows who acknowledged."""


def connect() -> None:
    """Connect the receivers (ChatConfig.ready). Each module connects its own; see chat.slack.*."""
    from . import teams
    from .slack import channels, pages

    channels.connect()  # the incident channel and its card
    pages.connect()  # a page's Slack DM shows who acknowledged, whichever way they did
    teams.connect()  # incident cards to a Teams Workflows webhook (TEAMS_WORKFLOW_URL)
