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
    /// `queued.max.messages.kbytes` and `fetch.max.bytes`: how much librdkafka prefetches
    /// ahead of the application. Its defaults (64 MiB queued, 50 MiB per fetch) are held in
    /// memory whenever the consumer lags, e.g. while catching up: at 6,000 patients on 288
    /// partitions RSS was 253 MB with them and 117 MB with 8 MiB / 4 MiB, at the same rate
    /// (`emr consume` over `emr bench consume --patients 6000 --partitions 48`'s topics). A
    /// batch of 5,000 typical records is about 2.5 MiB. librdkafka 2.0 stops fetching while the
    /// queue is full and looks again up to a second later, which made a small queue cost speed
    /// until ``FetchNudger`` wakes the fetchers once the consumer drained it. Since then a small
    /// queue costs nothing: `scripts/bench-compare.sh` (one binary, the size set through
    /// `EMR_KAFKA_QUEUED_MAX_MESSAGES_KBYTES`), medians of 4 alternations at 600 patients: 2 MiB
    /// 35,937 records/s and peak RSS up to 111 MB, 4 MiB 33,510 and 115 MB, 10 MiB 33,177 and
    /// 126 MB; 2 alternations at 6,000 patients: 22,682 / 22,513 / 22,614 records/s, peak RSS
    /// 116 / 123 / 145 MB. Overridable like any property.
    public var queuedMaxKilobytes = 2_048
    private static let queuedMaxKilobytesName = "queued.max.messages.kbytes"
    /// The queue limit librdkafka applies: a property given in ``kafka`` wins over ``queuedMaxKilobytes``.
    var effectiveQueuedMaxKilobytes: Int {
        kafka.properties[Self.queuedMaxKilobytesName].flatMap(Int.init) ?? queuedMaxKilobytes
    }
    public var fetchMaxBytes = 4 << 20
    /// `range` (eager): of topics with equal partition counts, partition p of each goes to the
    /// same member, so co-partitioned topics (records of one key share a partition number)
    /// are read together.
    public var assignmentStrategy = "range"

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
            (Self.queuedMaxKilobytesName, String(queuedMaxKilobytes)),
            ("fetch.max.bytes", String(fetchMaxBytes)),
            ("partition.assignment.strategy", assignmentStrategy),
            ("reconnect.backoff.ms", "100"),
            ("reconnect.backoff.max.ms", "5000"),
        ]
        if let groupInstanceID { list.append(("group.instance.id", groupInstanceID)) }
        list += kafka.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return list
    }
}
