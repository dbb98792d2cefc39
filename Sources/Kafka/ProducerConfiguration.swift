/// Settings of a ``KafkaProducer``. Defaults are safe for records that must not be lost or
/// doubled: idempotent delivery with `acks=all`, lz4 compression, murmur2 key hashing (as Java
/// clients), and a bounded local queue that pushes back instead of dropping.
public struct ProducerConfiguration: Sendable {
    public var kafka: KafkaConfiguration
    public var clientID: String = "emr-producer"
    /// `enable.idempotence`; implies `acks=all` and ordered retries.
    public var idempotent = true
    public var compression = "lz4"
    /// How long the client may wait to fill a batch.
    public var lingerMs = 5
    /// Most messages waiting locally; `produce` blocks (polling) while the queue is full.
    public var queueMaxMessages = 100_000
    /// How long librdkafka retries a message before reporting it as failed.
    public var messageTimeoutMs = 300_000
    /// Timeout of metadata look-ups (partition counts for hashed partitioning).
    public var metadataTimeoutMs: Int32 = 10_000

    public init(kafka: KafkaConfiguration) {
        self.kafka = kafka
    }

    /// librdkafka properties in application order; user properties last so they win.
    var settings: [(String, String)] {
        var list: [(String, String)] = [
            ("bootstrap.servers", kafka.bootstrapServers),
            ("client.id", clientID),
            ("enable.idempotence", idempotent ? "true" : "false"),
            ("acks", "all"),
            ("compression.codec", compression),
            ("linger.ms", String(lingerMs)),
            ("queue.buffering.max.messages", String(queueMaxMessages)),
            ("message.timeout.ms", String(messageTimeoutMs)),
            ("partitioner", "murmur2_random"),
            ("reconnect.backoff.ms", "100"),
            ("reconnect.backoff.max.ms", "5000"),
        ]
        list += kafka.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return list
    }
}
