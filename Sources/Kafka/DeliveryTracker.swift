import CRdKafka
import Synchronization

/// Counts of a producer's messages by outcome.
public struct DeliveryStatistics: Sendable, Equatable {
    /// Enqueued and not yet reported.
    public var inFlight = 0
    public var delivered = 0
    public var failed = 0
    /// The first failure, kept so a summary can name it.
    public var firstFailure: KafkaError?
}

/// Receives librdkafka's delivery reports (on its threads), keeps the counts, and resumes
/// per-message waiters.
final class DeliveryTracker: Sendable {
    private let statistics = Mutex(DeliveryStatistics())
    private let handler: (@Sendable (DeliveryReport) -> Void)?

    init(handler: (@Sendable (DeliveryReport) -> Void)?) {
        self.handler = handler
    }

    var snapshot: DeliveryStatistics { statistics.withLock { $0 } }

    func enqueued() {
        statistics.withLock { $0.inFlight += 1 }
    }

    func enqueueFailed() {
        statistics.withLock { $0.inFlight -= 1 }
    }

    /// Called from the delivery-report callback. A success nobody waits for is only counted
    /// (the common case, once per message: no report is built for it).
    func report(_ message: UnsafePointer<rd_kafka_message_t>) {
        let m = message.pointee
        let failed = m.err.isError
        if !failed, m._private == nil, handler == nil {
            statistics.withLock {
                $0.inFlight -= 1
                $0.delivered += 1
            }
            return
        }
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        let error: KafkaError? = failed ? KafkaError(.delivery, m.err, "delivery to \(topic)/\(m.partition) failed") : nil
        let report = DeliveryReport(topic: topic, partition: m.partition, offset: error == nil ? m.offset : -1, error: error)
        statistics.withLock {
            $0.inFlight -= 1
            if let error {
                $0.failed += 1
                if $0.firstFailure == nil { $0.firstFailure = error }
            } else {
                $0.delivered += 1
            }
        }
        if let waiter = m._private {
            Unmanaged<DeliveryWaiter>.fromOpaque(waiter).takeRetainedValue().resume(with: report)
        }
        handler?(report)
    }
}

/// One `send` call waiting for its delivery report; passed to librdkafka as the message opaque.
final class DeliveryWaiter: Sendable {
    private let continuation: Mutex<CheckedContinuation<DeliveryReport, Never>?>

    init(_ continuation: CheckedContinuation<DeliveryReport, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with report: DeliveryReport) {
        let pending = continuation.withLock { value -> CheckedContinuation<DeliveryReport, Never>? in
            defer { value = nil }
            return value
        }
        pending?.resume(returning: report)
    }
}
