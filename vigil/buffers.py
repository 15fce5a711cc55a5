"""What the Redis buffers of heartbeat pings (monitoring.heartbeats) and alert repeats
(incidents.integrations.repeats) share: how a flush takes a batch.

Requests add to a buffer hash; a flush renames it to the batch key in one atomic step (what
arrives meanwhile starts a new buffer), writes the batch to the database, then deletes it.
"""

# KEYS: the buffer, the batch being flushed. A batch left by a failed flush comes first; else
# the buffer becomes the batch. Returns the batch's fields and values (empty: nothing to flush).
TAKE_SCRIPT = """
if redis.call("EXISTS", KEYS[2]) == 0 then
    if redis.call("EXISTS", KEYS[1]) == 0 then
        return {}
    end
    redis.call("RENAME", KEYS[1], KEYS[2])
end
return redis.call("HGETALL", KEYS[2])
"""
