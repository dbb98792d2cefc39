import CRdKafka
import Logging
import Synchronization

/// A Kafka producer over librdkafka.
///
/// `produce` enqueues a message and returns at once; when the local queue is full it waits
/// (serving delivery reports) and retries, so nothing is ever dropped. Outcomes arrive as
/// ``DeliveryReport``s: counted in ``statistics``, passed to the optional handler, or returned
/// by ``send(_:)``. ``flush(timeoutMs:)`` waits for every report and throws if any is missing.
/// Call ``close(timeoutMs:)`` when done; it flushes and stops the polling thread.
public final class KafkaProducer: Sendable {
    private let client: NativeClient
    private let tracker: DeliveryTracker
    private let poller: PollingThread
    private let configuration: ProducerConfiguration
    private let partitionCounts = Mutex<[String: Int32]>([:])

    /// - Parameter onDelivery: called once per message with its outcome, on a librdkafka thread.
    public init(
        configuration: ProducerConfiguration,
        logger: Logger,
        onDelivery: (@Sendable (DeliveryReport) -> Void)? = nil
    ) throws(KafkaError) {
        let tracker = DeliveryTracker(handler: onDelivery)
        let context = ClientContext(logger: logger, delivery: tracker)
        self.client = try NativeClient(type: RD_KAFKA_PRODUCER, settings: configuration.settings, context: context) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message else { return }
                ClientContext.from(opaque)?.delivery?.report(message)
            }
        }
        self.tracker = tracker
        self.configuration = configuration
        self.poller = PollingThread(client: client, name: "emr-producer-poll")
    }

    deinit {
        poller.stop()
    }

    /// Runs `body`, in which the calling thread produces and serves the delivery reports itself
    /// (``serveDeliveryReports()``, and `produce` while the queue is full), while the polling
    /// thread stands aside: each report then frees its message on the thread that allocated it.
    /// Reports the body leaves unserved are served by the polling thread afterwards.
    public func servingDeliveryReports<T>(_ body: () throws -> T) rethrows -> T {
        try poller.standAside(while: body)
    }

    /// Serves the delivery reports that arrived, without waiting.
    public func serveDeliveryReports() {
        rd_kafka_poll(client.handle, 0)
    }

    /// Delivery counts so far.
    public var statistics: DeliveryStatistics { tracker.snapshot }

    /// Enqueues a message, waiting while the local queue is full. Throws only when the message
    /// cannot be accepted at all (unknown partition, fatal client error, message too large).
    public func produce(_ message: OutgoingMessage) throws(KafkaError) {
        try enqueue(message, waiter: nil)
    }

    /// Produces a message and waits for its delivery report.
    public func send(_ message: OutgoingMessage) async throws(KafkaError) -> DeliveryReport {
        let partition = try resolvePartition(message)
        let outcome: Result<DeliveryReport, KafkaError> = await withCheckedContinuation { continuation in
            let waiter = Unmanaged.passRetained(DeliveryWaiter(continuation))
            do throws(KafkaError) {
                try enqueue(message, partition: partition, opaque: waiter.toOpaque())
            } catch {
                waiter.release()
                continuation.resume(returning: DeliveryReport(topic: message.topic, partition: partition, offset: -1, error: error))
            }
        }.asResult
        return try outcome.get()
    }

    /// Waits until every enqueued message has a delivery report. Throws ``KafkaError/Kind/flushTimeout``
    /// naming how many are still in flight, or the first delivery failure.
    public func flush(timeoutMs: Int32) throws(KafkaError) {
        let err = rd_kafka_flush(client.handle, timeoutMs)
        let stats = tracker.snapshot
        if err == RD_KAFKA_RESP_ERR__TIMED_OUT || stats.inFlight > 0 {
            throw KafkaError(.flushTimeout, code: err.rawValue,
                             message: "flush timed out after \(timeoutMs) ms with \(stats.inFlight) message(s) not yet delivered")
        }
        if let fatal = client.context.fatalError { throw fatal }
    }

    /// Flushes, then stops serving callbacks. The producer must not be used afterwards.
    public func close(timeoutMs: Int32 = 30_000) throws(KafkaError) {
        defer { poller.stop() }
        try flush(timeoutMs: timeoutMs)
    }

    /// The topic's partition count (cached after the first look-up).
    public func partitionCount(topic: String) throws(KafkaError) -> Int32 {
        if let known = partitionCounts.withLock({ $0[topic] }) { return known }
        let count = try ClusterMetadata.partitionCount(client.handle, topic: topic, timeoutMs: configuration.metadataTimeoutMs)
        partitionCounts.withLock { $0[topic] = count }
        return count
    }

    /// Metadata of every topic in the cluster.
    public func topics(timeoutMs: Int32 = 10_000) throws(KafkaError) -> [TopicMetadata] {
        try ClusterMetadata.fetch(client.handle, topic: nil, timeoutMs: timeoutMs)
    }

    // MARK: - Enqueueing

    private func resolvePartition(_ message: OutgoingMessage) throws(KafkaError) -> Int32 {
        switch message.partition {
        case .byKey: return RD_KAFKA_PARTITION_UA
        case .explicit(let partition): return partition
        case .byHash(let bytes): return Murmur2.partition(for: bytes, partitionCount: try partitionCount(topic: message.topic))
        }
    }

    private func enqueue(_ message: OutgoingMessage, waiter: UnsafeMutableRawPointer?) throws(KafkaError) {
        try enqueue(message, partition: try resolvePartition(message), opaque: waiter)
    }

    private func enqueue(_ message: OutgoingMessage, partition: Int32, opaque: UnsafeMutableRawPointer?) throws(KafkaError) {
        if let fatal = client.context.fatalError { throw fatal }
        tracker.enqueued()
        while true {
            let err = NativeProduce.produce(client.handle, message, partition: partition, opaque: opaque)
            if !err.isError { return }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                // Backpressure: serve delivery reports until the queue has room again.
                rd_kafka_poll(client.handle, 50)
                continue
            }
            tracker.enqueueFailed()
            throw KafkaError(.delivery, err, "cannot enqueue message for \(message.topic)/\(partition)")
        }
    }
}

private extension DeliveryReport {
    var asResult: Result<DeliveryReport, KafkaError> {
        if let error { return .failure(error) }
        return .success(self)
    }
}
