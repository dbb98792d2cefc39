import Foundation
import Kafka
import Marts
import Staging
import State
import Synchronization

/// A message of a batch made ready for the state transaction: refused with its reasons, or a
/// version to apply with its current-version row computed.
enum PreparedMessage: Sendable {
    case refused(RefusalStage, [String])
    case version(CurrentVersion)
}

/// Decodes and stages the messages of a batch, and computes each record's current-version
/// row, on another thread (the applier's serial preparing queue) while the thread holding the
/// state transaction applies the messages before them: the transaction waits only when it
/// catches up (``message(at:)``). Small pieces are prepared in place (handing them over costs
/// more than they do).
///
/// The preparing thread stays at most ``maxAhead`` messages ahead of the applying one, so the
/// prepared rows held at once stay few whatever the batch size.
///
/// `@unchecked Sendable`: the preparing thread writes slot `i` before it publishes
/// `prepared > i` under `condition`'s lock, and the applying thread reads slot `i` only after
/// it saw that under the same lock, so each slot is written once and read after it was written.
/// The timings are read after ``finish()`` waited for the preparing thread to end.
final class BatchPreparation: @unchecked Sendable {
    /// Below this many messages the batch is prepared on the caller's thread.
    static let threadedMinimum = 64
    /// Messages published to the applying thread at once.
    private static let chunk = 32
    /// How far the preparation may run ahead of the messages taken.
    static let maxAhead = 1_024

    private let messages: [ConsumedMessage]
    private let decoder: RecordDecoder
    private let slots: UnsafeMutableBufferPointer<PreparedMessage?>
    private let condition = NSCondition()
    /// Slots written so far (guarded by `condition`).
    private var prepared = 0
    /// Slots the applying thread has taken (guarded by `condition`; published once per chunk).
    private var taken = 0
    /// The applying thread's copy of `prepared` as last seen.
    private var seen = 0
    /// ``finish()`` was called.
    private var finished = false
    private let stop = Atomic(false)
    private let ended = DispatchSemaphore(value: 0)
    private let threaded: Bool
    private var decodeSeconds = 0.0
    private var stageSeconds = 0.0

    /// Starts preparing `messages` on `queue`, a serial queue of the applier's: the pieces of a
    /// batch are prepared one after the other there, each as soon as the one before is done (the
    /// next piece is polled while the one before is applied), on one thread at a time. Finish
    /// the preparations in the order they were made.
    init(_ messages: [ConsumedMessage], decoder: RecordDecoder, on queue: DispatchQueue) {
        self.messages = messages
        self.decoder = decoder
        slots = .allocate(capacity: messages.count)
        slots.initialize(repeating: nil)
        threaded = messages.count >= Self.threadedMinimum
        if threaded {
            queue.async { [self] in
                prepareAll()
                ended.signal()
            }
        } else {
            prepareAll()
        }
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    /// The prepared form of message `index`, waiting for it if the preparing thread is behind.
    func message(at index: Int) -> PreparedMessage {
        if index >= seen || index % Self.chunk == 0 {
            condition.lock()
            taken = index
            condition.broadcast()
            while prepared <= index { condition.wait() }
            seen = prepared
            condition.unlock()
        }
        return slots[index].take()!
    }

    /// Whether message `index` is prepared (``message(at:)`` would not wait).
    func isReady(_ index: Int) -> Bool {
        if index < seen { return true }
        condition.lock()
        seen = prepared
        condition.unlock()
        return index < seen
    }

    /// Stops preparing (the rest of the batch is not needed) and waits for the thread to end;
    /// the time spent decoding and staging. Called by the applying thread only; calling it
    /// again returns the same times.
    func finish() -> (decode: Double, stage: Double) {
        if threaded, !finished {
            finished = true
            stop.store(true, ordering: .relaxed)
            condition.lock()
            condition.broadcast()
            condition.unlock()
            ended.wait()
        }
        return (decodeSeconds, stageSeconds)
    }

    private func prepareAll() {
        var index = 0
        while index < messages.count, !stop.load(ordering: .relaxed) {
            let end = min(messages.count, index + Self.chunk)
            // A chunk decoded, then staged: the clocks are read per chunk, not per message.
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            let decodeStarted = ContinuousClock.now
            let decoded = messages[index..<end].map { decoder.decode($0, nowMs: nowMs) }
            let stageStarted = ContinuousClock.now
            for (i, message) in zip(index..<end, decoded) { slots[i] = Self.prepare(message) }
            decodeSeconds += (stageStarted - decodeStarted).seconds
            stageSeconds += (ContinuousClock.now - stageStarted).seconds
            condition.lock()
            prepared = end
            condition.broadcast()
            // Far enough ahead: wait until the applying thread takes more (or stops it).
            while threaded, end - taken > Self.maxAhead, !stop.load(ordering: .relaxed) { condition.wait() }
            condition.unlock()
            index = end
        }
    }

    /// A decoded message staged, with its current-version row.
    private static func prepare(_ decoded: DecodedMessage) -> PreparedMessage {
        switch decoded {
        case .undecodable(let reasons):
            return .refused(.decode, reasons)
        case .record(let key, let value, let position):
            switch Stager.stage(value, key: key) {
            case .rejected(let reasons): return .refused(.staging, reasons)
            case .accepted(let record): return .version(CurrentVersion(record, at: position))
            }
        }
    }
}
