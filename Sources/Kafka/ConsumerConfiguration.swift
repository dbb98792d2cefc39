/// Settings of a ``KafkaConsumer``. Offsets are the application's business: auto-commit and
/// auto offset store are off, and the application supplies start offsets on assignment.
/// Group timeouts default low enough that a restarted member is back within seconds.
public struct ConsumerConfiguration: Sendable {
    public var kafka: KafkaConfiguration
    public var groupID: String
    public var clientID = "emr-consumer"
    /// `group.instance.id` for static membership (orchestrated containers), nil for dynamic.
    public var groupInstanceID: String?
    public var sessionTimeoutMs = 10_000
    public var heartbeatIntervalMs = 1_000
    public var maxPollIntervalMs = 300_000
    /// Where to start a partition with no supplied and no committed offset: `earliest`,
    /// `latest`, or `error` (report out-of-range instead of jumping).
    public var autoOffsetReset = "earliest"
    /// Report reaching the end of a partition as an event (see ``KafkaConsumer/poll(maxMessages:timeoutMs:)``).
    public var reportPartitionEOF = false

    public init(kafka: KafkaConfiguration, groupID: String) {
        self.kafka = kafka
        self.groupID = groupID
    }

    var settings: [(String, String)] {
        var list: [(String, String)] = [
            ("bootstrap.servers", kafka.bootstrapServers),
            ("client.id", clientID),
            ("group.id", groupID),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", autoOffsetReset),
            ("session.timeout.ms", String(sessionTimeoutMs)),
            ("heartbeat.interval.ms", String(heartbeatIntervalMs)),
            ("max.poll.interval.ms", String(maxPollIntervalMs)),
            ("enable.partition.eof", reportPartitionEOF ? "true" : "false"),
            ("reconnect.backoff.ms", "100"),
            ("reconnect.backoff.max.ms", "5000"),
        ]
        if let groupInstanceID { list.append(("group.instance.id", groupInstanceID)) }
        list += kafka.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return list
    }
}
