"""What the post-mortems app announces. Apps below it (dr_plans) listen; this app imports none of them.

Sent after the transaction that made the change commits, with sender=ActionItem:
- action_item_saved: item=<ActionItem>, created=<bool>, changed=<list of field names>, actor.
  `changed` names "target" when the item was given a new target (e.g. a DR plan to update).
"""

from django.dispatch import Signal

action_item_saved = Signal()
