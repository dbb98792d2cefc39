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
    /// `fetch.wait.max.ms`: how long a fetch may wait for data when there is none. A broker
    /// answers a waiting fetch as soon as data arrives, but the embedded broker does not, so
    /// librdkafka's 500 ms put about 300 ms at p50 on every record at a steady 1,000 records/s
    /// (`emr bench consume --rate 1000`); 50 ms gives 38 ms. Costs at most 20 empty fetches a
    /// second per broker while idle. `--kafka-property fetch.wait.max.ms=N` overrides it.
    public var fetchWaitMaxMs = 50

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
            ("fetch.wait.max.ms", String(fetchWaitMaxMs)),
            ("reconnect.backoff.ms", "100"),
            ("reconnect.backoff.max.ms", "5000"),
        ]
        if let groupInstanceID { list.append(("group.instance.id", groupInstanceID)) }
        list += kafka.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return list
    }
}
