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
/// row, on a thread of its own while the thread holding the state transaction applies the
/// messages before them: the transaction waits only when it catches up (``message(at:)``).
/// Small batches are prepared in place (a thread costs more than they do).
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
    /// Every message prepared, or stopped (guarded by `condition`).
    private var done = false
    private let stop = Atomic(false)
    private let ended = DispatchSemaphore(value: 0)
    private let threaded: Bool
    private var decodeSeconds = 0.0
    private var stageSeconds = 0.0

    /// Starts preparing `messages`; after `previous` is done preparing when given (the next
    /// piece of a batch, polled while the one before is applied, so that the preparing threads
    /// follow each other without a gap). Finish `previous` before this one.
    init(_ messages: [ConsumedMessage], decoder: RecordDecoder, after previous: BatchPreparation? = nil) {
        self.messages = messages
        self.decoder = decoder
        slots = .allocate(capacity: messages.count)
        slots.initialize(repeating: nil)
        threaded = messages.count >= Self.threadedMinimum
        if threaded {
            let thread = Thread { [self] in
                previous?.waitUntilDone()
                prepareAll()
                ended.signal()
            }
            thread.name = "emr-prepare"
            thread.start()
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

    /// Waits until every message is prepared, or the preparation was stopped.
    private func waitUntilDone() {
        condition.lock()
        while !done { condition.wait() }
        condition.unlock()
    }

    private func prepareAll() {
        defer {
            condition.lock()
            done = true
            condition.broadcast()
            condition.unlock()
        }
        var index = 0
        while index < messages.count, !stop.load(ordering: .relaxed) {
            let end = min(messages.count, index + Self.chunk)
            for i in index..<end { slots[i] = prepare(messages[i]) }
            condition.lock()
            prepared = end
            condition.broadcast()
            // Far enough ahead: wait until the applying thread takes more (or stops it).
            while threaded, end - taken > Self.maxAhead, !stop.load(ordering: .relaxed) { condition.wait() }
            condition.unlock()
            index = end
        }
    }

    private func prepare(_ message: ConsumedMessage) -> PreparedMessage {
        let decodeStarted = ContinuousClock.now
        let decoded = decoder.decode(message)
        let stageStarted = ContinuousClock.now
        decodeSeconds += (stageStarted - decodeStarted).seconds
        defer { stageSeconds += (ContinuousClock.now - stageStarted).seconds }
        switch decoded {
        case .undecodable(let reasons):
            return .refused(.decode, reasons)
        case .record(let entity, let key, let value, let position):
            switch Stager.stage(entity, value: value, key: key) {
            case .rejected(let reasons): return .refused(.staging, reasons)
            case .accepted(let record): return .version(CurrentVersion(record, at: position))
            }
        }
    }
}
