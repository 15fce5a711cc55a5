from .base import Channel, Message


class SandboxChannel(Channel):
    """Sends nothing: the outbox row already holds what would have gone, and the Outbox page shows it.

    What a new install uses until provider keys are set (comms.channels.channel_for).
    """

    kind = "sandbox"
    max_batch = 1000

    def send(self, message: Message) -> str:
        return f"sandbox-{message.id}"
