-- How many times the sandbox was handed each message: more than one is a
-- double send, which the delivery tests look for.
ALTER TABLE ff_sandbox_messages ADD COLUMN copies INTEGER;
