"""Everything that puts events on Kafka: the producer wrapper and intake from each channel."""
