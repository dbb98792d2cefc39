import CRdKafka
import Logging

/// A consumer-group member over librdkafka.
///
/// The application owns offsets: ``RebalanceHooks`` supply start offsets on assignment and see
/// revocations between batches; ``commit(_:)`` is explicit and synchronous. ``poll(maxMessages:timeoutMs:)``
/// returns a batch and throws the errors a service must not miss (a fatal client error, being
/// thrown out of the group for polling too slowly, an offset out of range, a failed hook) rather
/// than only logging them. Blocking calls: run the consumer on a thread of its own. Call
/// ``close()`` to leave the group cleanly.
public final class KafkaConsumer: Sendable {
    private let client: NativeClient
    private let coordinator: RebalanceCoordinator
    private let logger: Logger
    private let closed = AtomicFlag()
    private let nudger: FetchNudger

    public init(configuration: ConsumerConfiguration, logger: Logger, hooks: RebalanceHooks = RebalanceHooks()) throws(KafkaError) {
        let coordinator = RebalanceCoordinator(hooks: hooks, logger: logger)
        let context = ClientContext(logger: logger, rebalance: coordinator)
        self.client = try NativeClient(type: RD_KAFKA_CONSUMER, settings: configuration.settings, context: context) { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let rk else { return }
                ClientContext.from(opaque)?.rebalance?.handle(rk, err, partitions)
            }
        }
        self.coordinator = coordinator
        self.logger = logger
        self.nudger = FetchNudger(client: client, name: "emr-fetch-nudge", queueLimitBytes: configuration.effectiveQueuedMaxKilobytes * 1024)
        // Serve every event (rebalances, errors, logs) from the consumer queue in poll().
        rd_kafka_poll_set_consumer(client.handle)
    }

    deinit {
        close()
    }

    /// Joins the group for these topics.
    public func subscribe(topics: [String]) throws(KafkaError) {
        try TopicPartitionList.with(topics.map { (TopicPartition($0, RD_KAFKA_PARTITION_UA), KafkaOffset.stored) }) { list throws(KafkaError) in
            let err = rd_kafka_subscribe(client.handle, list)
            if err.isError { throw KafkaError(.consumer, err, "subscribe to \(topics.joined(separator: ","))") }
        }
    }

    /// Waits up to `timeoutMs` for the first message, then takes whatever else is already
    /// fetched, up to `maxMessages`. Rebalance hooks run inside this call; when partitions are
    /// revoked mid-batch, their messages are left out (the next owner reads them again).
    public func poll(maxMessages: Int, timeoutMs: Int32) throws(KafkaError) -> [ConsumedMessage] {
        try drain(maxMessages: maxMessages, firstWaitMs: timeoutMs).batch
    }

    /// The messages already in the local queue, at most `maxMessages`, waiting for none: for a
    /// batch that goes on while more is queued. Nil when partitions were revoked meanwhile
    /// (messages read before may belong to them: the caller must not commit them as its own).
    public func pollQueued(maxMessages: Int) throws(KafkaError) -> [ConsumedMessage]? {
        let (batch, revoked) = try drain(maxMessages: maxMessages, firstWaitMs: 0)
        return revoked ? nil : batch
    }

    /// Up to `maxMessages`, waiting `firstWaitMs` for the first; stops at a revocation, whose
    /// partitions' messages are left out.
    private func drain(maxMessages: Int, firstWaitMs: Int32) throws(KafkaError) -> (batch: [ConsumedMessage], revoked: Bool) {
        var batch: [ConsumedMessage] = []
        var wait = firstWaitMs
        var revoked = false
        while batch.count < maxMessages, !revoked {
            guard let message = rd_kafka_consumer_poll(client.handle, wait) else {
                // Drained what was fetched: the fetchers may be waiting for a full queue to empty.
                if !batch.isEmpty { nudger.queueDrained(coordinator.assignment) }
                break
            }
            defer { rd_kafka_message_destroy(message) }
            nudger.consumed(bytes: message.pointee.len + message.pointee.key_len)
            wait = 0
            if let error = classify(message) {
                if let error { throw error }
                continue
            }
            batch.append(MessageConversion.consumed(message))
            revoked = try revocationTrimmed(&batch)
        }
        if try revocationTrimmed(&batch) { revoked = true }
        if let fatal = client.context.fatalError { throw fatal }
        return (batch, revoked)
    }

    /// Partitions this member currently owns.
    public var assignment: [TopicPartition] { coordinator.assignment }

    /// True after librdkafka reported that no broker is reachable, until ``probeBrokers(timeoutMs:)``
    /// gets an answer (messages may still arrive from the local prefetch queue meanwhile).
    public var brokersUnreachable: Bool { client.context.allBrokersDown }

    /// Asks the cluster for its metadata (one short round trip); true, and
    /// ``brokersUnreachable`` cleared, when a broker answers.
    public func probeBrokers(timeoutMs: Int32 = 1_000) -> Bool {
        guard (try? ClusterMetadata.fetch(client.handle, topic: nil, timeoutMs: timeoutMs)) != nil else { return false }
        client.context.markBrokersReachable()
        return true
    }

    /// Moves the read position of assigned partitions.
    public func seek(_ offsets: [TopicPartition: Int64], timeoutMs: Int32 = 10_000) throws(KafkaError) {
        try TopicPartitionList.with(offsets.map { ($0.key, $0.value) }) { list throws(KafkaError) in
            if let error = rd_kafka_seek_partitions(client.handle, list, timeoutMs) {
                defer { rd_kafka_error_destroy(error) }
                throw KafkaError(.consumer, rd_kafka_error_code(error), "seek failed: \(String(cString: rd_kafka_error_string(error)))")
            }
            if let error = TopicPartitionList.firstError(list, context: "seek") { throw error }
        }
    }

    /// Restarts every owned partition at the given offsets (all owned partitions must be
    /// listed). Unlike ``seek(_:timeoutMs:)`` this also restarts a partition whose fetching
    /// stopped on an error, such as an offset out of range.
    public func restartAssignment(at offsets: [TopicPartition: Int64]) throws(KafkaError) {
        try coordinator.reassign(client.handle, offsets)
    }

    /// Commits offsets (the next offset to read, per partition) to the group. Synchronous by
    /// default; with `wait: false` it is sent in the background and only a local refusal throws
    /// (a synchronous commit blocks while the coordinator is unreachable).
    public func commit(_ offsets: [TopicPartition: Int64], wait: Bool = true) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try TopicPartitionList.with(offsets.map { ($0.key, $0.value) }) { list throws(KafkaError) in
            let err = rd_kafka_commit(client.handle, list, wait ? 0 : 1)
            if !wait {
                if err.isError { throw KafkaError(.consumer, err, "commit failed") }
                return
            }
            if err.isError { throw KafkaError(.consumer, err, "commit failed") }
            if let error = TopicPartitionList.firstError(list, context: "commit") { throw error }
        }
    }

    /// The group's committed offsets for these partitions (`KafkaOffset.stored` when none).
    public func committed(_ partitions: [TopicPartition], timeoutMs: Int32 = 10_000) throws(KafkaError) -> [TopicPartition: Int64] {
        try TopicPartitionList.with(partitions.map { ($0, KafkaOffset.stored) }) { list throws(KafkaError) in
            let err = rd_kafka_committed(client.handle, list, timeoutMs)
            if err.isError { throw KafkaError(.consumer, err, "fetching committed offsets failed") }
            return Dictionary(uniqueKeysWithValues: TopicPartitionList.read(list))
        }
    }

    /// The partition's low and high watermarks, asked of the broker.
    public func watermarks(_ partition: TopicPartition, timeoutMs: Int32 = 10_000) throws(KafkaError) -> Watermarks {
        try ClusterMetadata.watermarks(client.handle, partition, timeoutMs: timeoutMs)
    }

    /// The log end (high watermark) of each partition, asked of the brokers in one round trip
    /// per leader.
    public func endOffsets(_ partitions: [TopicPartition], timeoutMs: Int32 = 10_000) throws(KafkaError) -> [TopicPartition: Int64] {
        try ClusterMetadata.endOffsets(client.handle, partitions, timeoutMs: timeoutMs)
    }

    /// The id of the cluster the brokers belong to; nil when none answered within `timeoutMs`.
    public func clusterID(timeoutMs: Int32 = 10_000) -> String? {
        ClusterMetadata.clusterID(client.handle, timeoutMs: timeoutMs)
    }

    /// Watermarks from the latest fetch response of an assigned partition, without asking
    /// the broker (a query waits behind the connection's long-poll fetch); nil until known.
    public func cachedWatermarks(_ partition: TopicPartition) -> Watermarks? {
        ClusterMetadata.cachedWatermarks(client.handle, partition)
    }

    /// Partition count of a topic.
    public func partitionCount(topic: String, timeoutMs: Int32 = 10_000) throws(KafkaError) -> Int32 {
        try ClusterMetadata.partitionCount(client.handle, topic: topic, timeoutMs: timeoutMs)
    }

    /// Leaves the group (running the revoke hook) and stops fetching. Safe to call twice.
    public func close() {
        guard closed.setOnce() else { return }
        nudger.stop()
        let err = rd_kafka_consumer_close(client.handle)
        if err.isError { logger.warning("consumer close: \(KafkaError.describe(err))") }
    }

    // MARK: - Helpers

    /// nil: a data message. `.some(nil)`: an event to skip. `.some(error)`: an error to throw.
    private func classify(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaError?? {
        let m = message.pointee
        guard m.err.isError else { return nil }
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        switch m.err {
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            return .some(nil)
        case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
            let detail = MessageConversion.errorText(message)
            return KafkaError(.offsetOutOfRange, code: m.err.rawValue,
                              message: "offset out of range on \(topic)/\(m.partition) at offset \(m.offset): \(detail)",
                              topicPartition: TopicPartition(topic, m.partition), offset: m.offset)
        case RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED:
            return KafkaError(.consumer, m.err, "left the consumer group: the application did not poll within max.poll.interval.ms")
        case RD_KAFKA_RESP_ERR__FATAL:
            return client.context.fatalError ?? KafkaError(.fatal, m.err, "fatal consumer error")
        default:
            // Transient (broker down, transport): librdkafka retries by itself.
            logger.warning("consumer: \(topic.isEmpty ? "" : "\(topic)/\(m.partition): ")\(MessageConversion.errorText(message))")
            return .some(nil)
        }
    }

    /// Drops messages of partitions revoked during this poll; true when any were revoked.
    private func revocationTrimmed(_ batch: inout [ConsumedMessage]) throws(KafkaError) -> Bool {
        let (revoked, error) = coordinator.takeEvents()
        if let error { throw error }
        guard !revoked.isEmpty else { return false }
        batch.removeAll { revoked.contains($0.topicPartition) }
        return true
    }
}
