"""The producers behind the clients: one adapter per Kafka client library.

- ``base``: the shape every adapter has (``SyncTransport`` / ``AsyncTransport``)
  and what they share (codec checks).
- ``kafka_python``: kafka-python's ``KafkaProducer`` (``SentinelClient``).
- ``aiokafka``: aiokafka's ``AIOKafkaProducer`` (``AsyncSentinelClient``).
- ``partitioner``: sticky partitioning, the same for every adapter.
- ``errors``: the Kafka clients' exceptions mapped to the SDK's, by type.
- ``redaction``: configured secrets kept out of the Kafka clients' own logs.

The sender and the delivery books never know which adapter runs: an adapter
takes ``(topic, key, value, done)`` and calls ``done(None)`` on the broker's
acknowledgement or ``done(exc)`` on a final failure.
"""

__all__: list[str] = []
