import Chronology
import Foundation
import Kafka
import Logging
import Synchronization
import Synthea

/// Sends prepared records to Kafka on a thread of its own, in the order they are submitted,
/// while the submitting thread reads the sorted slices and prepares the next ones: on two cores
/// the halves of publishing run side by side. Pacing and what is stamped at sending
/// (`ce_time`, `ce_id`) happen here, right before each message is enqueued. At most
/// `batchesAhead` submitted batches wait, so memory stays bounded.
///
/// Memory is released on the thread that allocated it: freeing on another thread takes the
/// allocating thread's malloc arena lock, and threads that free each other's memory wait for
/// each other (`scripts/bench-produce.sh`: thousands of futex waits a run, publishing 3.1-4.5 s
/// instead of 2.4 in about half the runs). So sent batches go back to the submitting thread,
/// and this thread serves the delivery reports (which free the messages it enqueued).
///
/// A message the client refuses (too large, say) is counted and the run goes on; an error that
/// concerns the whole run (a fatal client error) stops the sending, and ``submit(_:whileWaiting:)``
/// and ``finish()`` throw it.
public final class MessageSender: Sendable {
    /// What was sent.
    public struct Outcome: Sendable {
        public var sent: [Entity: Int] = [:]
        public var perFacility: [String: Int] = [:]
        /// Bytes of keys and values enqueued.
        public var sentBytes = 0
        /// Messages the client refused one by one.
        public var refused = 0
        public var firstRefusal: KafkaError?
    }

    private struct State: Sendable {
        /// Submitted batches in order; nil marks the end.
        var queue: [[PreparedRecord]?] = []
        /// Sent batches, released by the submitting thread.
        var spent: [[PreparedRecord]] = []
        var outcome = Outcome()
        var fatal: KafkaError?
    }

    /// What the two threads share.
    private final class Shared: Sendable {
        let state = Mutex(State())
        /// Signalled once per submitted batch (or end).
        let filled = DispatchSemaphore(value: 0)
        /// Free places for batches ahead.
        let free: DispatchSemaphore
        let finished = DispatchSemaphore(value: 0)
        let ended = Mutex(false)

        init(batchesAhead: Int) { free = DispatchSemaphore(value: batchesAhead) }
    }

    private let shared: Shared

    /// - Parameter locate: names a record's file and line, for the message of a refusal.
    public init(producer: KafkaProducer, pacer: Pacer, logger: Logger, batchesAhead: Int = 4,
                locate: @escaping @Sendable (PreparedRecord) -> String) {
        let shared = Shared(batchesAhead: batchesAhead)
        self.shared = shared
        let thread = Thread {
            defer { shared.finished.signal() }
            var worker = Worker(producer: producer, pacer: pacer, logger: logger, locate: locate)
            producer.servingDeliveryReports {
                while true {
                    while shared.filled.wait(timeout: .now() + .milliseconds(5)) == .timedOut { producer.serveDeliveryReports() }
                    let next = shared.state.withLock { $0.queue.removeFirst() }
                    shared.free.signal()
                    guard let batch = next else {
                        worker.publish(to: shared, complete: true)
                        return
                    }
                    if worker.fatal == nil { worker.send(batch, shared: shared) }  // else drain, so that submitters never wait for nothing
                    producer.serveDeliveryReports()
                    shared.state.withLock { $0.spent.append(batch) }
                }
            }
        }
        thread.name = "emr-produce-send"
        thread.start()
    }

    /// Stops the sending thread if ``finish()`` was never called (the run failed before its end).
    deinit {
        endOnce()
        shared.finished.wait()
    }

    /// Hands a batch over, waiting while `batchesAhead` batches are still unsent (calling
    /// `whileWaiting` every 200 ms meanwhile, for progress). Throws the error that stopped the sending.
    public func submit(_ batch: [PreparedRecord], whileWaiting: () -> Void = {}) throws(KafkaError) {
        while shared.free.wait(timeout: .now() + .milliseconds(200)) == .timedOut { whileWaiting() }
        var spent: [[PreparedRecord]] = []
        let fatal = shared.state.withLock { state -> KafkaError? in
            if state.fatal == nil { state.queue.append(batch) }
            swap(&spent, &state.spent)
            return state.fatal
        }
        spent.removeAll()  // released here, on the thread that allocated them
        if let fatal {
            shared.free.signal()
            throw fatal
        }
        shared.filled.signal()
    }

    /// Counts so far (for progress; ``Outcome/perFacility`` once the sending ended).
    public var outcome: Outcome { shared.state.withLock { $0.outcome } }

    /// Waits until everything submitted is enqueued; the outcome, or the error that stopped the sending.
    public func finish() throws(KafkaError) -> Outcome {
        endOnce()
        shared.finished.wait()
        shared.finished.signal()  // deinit waits again
        let (outcome, fatal) = shared.state.withLock { state in
            state.spent.removeAll()
            return (state.outcome, state.fatal)
        }
        if let fatal { throw fatal }
        return outcome
    }

    private func endOnce() {
        guard shared.ended.withLock({ ended in defer { ended = true }; return !ended }) else { return }
        shared.free.wait()
        shared.state.withLock { $0.queue.append(nil) }
        shared.filled.signal()
    }

    /// The sending thread's own state.
    private struct Worker {
        let producer: KafkaProducer
        var pacer: Pacer
        let logger: Logger
        let locate: @Sendable (PreparedRecord) -> String
        var ids = MessageIDs()
        /// The `ce_source` header of each facility, made once.
        var sources: [String: KafkaHeader] = [:]
        var clockMillisecond = Date()
        var clockText: String
        var outcome = Outcome()
        var fatal: KafkaError?
        let paced: Bool

        init(producer: KafkaProducer, pacer: Pacer, logger: Logger, locate: @escaping @Sendable (PreparedRecord) -> String) {
            self.producer = producer
            self.pacer = pacer
            self.logger = logger
            self.locate = locate
            clockText = CivilTime.formatTimestamp(clockMillisecond)
            paced = pacer.rate != nil || pacer.speedup != nil
        }

        mutating func send(_ batch: [PreparedRecord], shared: Shared) {
            for (index, record) in batch.enumerated() {
                let wait = pacer.delay(eventTime: record.eventTime)
                if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
                let now = Date()
                if now.timeIntervalSince(clockMillisecond) >= 0.001 || now < clockMillisecond {
                    clockMillisecond = now
                    clockText = CivilTime.formatTimestamp(now)
                }
                let source = sources[record.facility] ?? {
                    let header = KafkaHeader(CloudEventHeader.source, RecordMessageBuilder.source(facility: record.facility))
                    sources[record.facility] = header
                    return header
                }()
                let message = record.message(ingestedAt: clockText, id: ids.next(), source: source)
                outcome.sentBytes += (message.key?.count ?? 0) + (message.value?.count ?? 0)
                do {
                    try producer.produce(message)
                } catch where error.kind == .delivery {
                    // Refused by the client (e.g. larger than message.max.bytes): count it, go on.
                    outcome.refused += 1
                    if outcome.firstRefusal == nil {
                        let refusal = KafkaError(.delivery, code: error.code, message: "\(locate(record)): \(error.message)")
                        outcome.firstRefusal = refusal
                        logger.error("\(refusal.message)")
                    }
                } catch {
                    fatal = error
                    shared.state.withLock { $0.fatal = error }
                    publish(to: shared, complete: true)
                    return
                }
                outcome.sent[record.entity, default: 0] += 1
                outcome.perFacility[record.facility, default: 0] += 1
                if paced || index % 64 == 63 { publish(to: shared) }
            }
            publish(to: shared)
        }

        /// Shares the counts so far; the per-facility counts only when `complete` (the sending
        /// ended). They are a dictionary over every facility: shared every 64 messages, the
        /// next count copied it whole (1,153 facilities: the copy and the release of the shared
        /// one were about 8 % of this thread in perf, besides their keys' reference counts).
        func publish(to shared: Shared, complete: Bool = false) {
            var published = outcome
            if !complete { published.perFacility = [:] }
            shared.state.withLock { $0.outcome = published }
        }
    }
}
