import Dispatch
import Kafka
import Marts
import Staging
import State
import Synthea

/// What one batch did.
public struct BatchOutcome: Sendable, Equatable {
    public var read = 0
    /// Became the current version of their key.
    public var applied = 0
    /// Redelivered, replayed or older than the current version: changed nothing.
    public var stale = 0
    /// Quarantined with reasons (undecodable or refused by staging).
    public var rejected = 0
    /// Below the committed offset of their partition (already processed): skipped.
    public var skipped = 0
    /// Next offset per partition after this batch.
    public var offsets: [TopicPartition: Int64] = [:]
    /// The same outcomes per entity (`patients`, ...; `unknown` for a message of no known topic).
    public var byEntity: [String: EntityOutcome] = [:]
    /// Refused records published to the dead-letter topic.
    public var deadLetters = 0
    /// The newest `ingested_at` (milliseconds since the epoch) among the applied records.
    public var newestIngestedMs: Int64?

    public init() {}

    public static func += (a: inout BatchOutcome, b: BatchOutcome) {
        a.read += b.read
        a.applied += b.applied
        a.stale += b.stale
        a.rejected += b.rejected
        a.skipped += b.skipped
        a.offsets.merge(b.offsets) { max($0, $1) }
        a.byEntity.merge(b.byEntity) { $0 + $1 }
        a.deadLetters += b.deadLetters
        if let newest = b.newestIngestedMs { a.newestIngestedMs = max(a.newestIngestedMs ?? newest, newest) }
    }
}

/// Where a batch's time went, in seconds: decoding messages and staging records (on the
/// preparing thread, overlapping the marts: ``BatchPreparation``), maintaining the marts (with
/// BEGIN, quarantining and any wait for the preparation), and the rest of the transaction
/// (offsets, counters, dead letters, COMMIT).
public struct BatchTimings: Sendable, Equatable {
    public var decode = 0.0
    public var stage = 0.0
    public var marts = 0.0
    public var commit = 0.0
    /// CPU time of the applying thread from the batch's start to its commit (the other times
    /// are wall clock and include waits; this one is steadier on a shared machine). With
    /// `--state-dir`, the sum over the task files' parts, however many threads applied them.
    public var applyingCPU = 0.0

    public init() {}

    public static func += (a: inout BatchTimings, b: BatchTimings) {
        a.decode += b.decode
        a.stage += b.stage
        a.marts += b.marts
        a.commit += b.commit
        a.applyingCPU += b.applyingCPU
    }
}

/// Applied, unchanged and rejected records of one entity.
public struct EntityOutcome: Sendable, Equatable {
    public var applied = 0
    public var unchanged = 0
    public var rejected = 0

    public static func + (a: EntityOutcome, b: EntityOutcome) -> EntityOutcome {
        EntityOutcome(applied: a.applied + b.applied, unchanged: a.unchanged + b.unchanged, rejected: a.rejected + b.rejected)
    }
}

/// Applies a batch of raw-topic messages in ONE state transaction: decode, stage (spec section
/// 4), deduplicate and update every mart (sections 5 to 7), quarantine the refused, and record
/// the next offset of every partition touched. A crash keeps the whole batch or none of it.
/// Refused records are published to the dead-letter topic before the transaction commits
/// (at least once: a crash between the two republishes them).
public final class BatchApplier {
    public let store: StateStore
    public let maintainer: MartMaintainer
    public let decoder: RecordDecoder
    public let book: OffsetBook
    public let deadLetters: DeadLetterPublisher?
    /// Where the last batch's time went.
    public private(set) var lastTimings = BatchTimings()
    /// Called inside the transaction after everything is written and the dead letters are
    /// acknowledged, just before COMMIT (fault injection for crash tests; nil otherwise).
    public var beforeCommit: ((BatchOutcome) throws -> Void)?

    /// Accepted versions written as soon as the preparation falls behind...
    static let flushWhileWaiting = 256
    /// ...and in any case.
    static let flushEvery = 2_048

    /// Where the pieces are decoded and staged, one after another (``BatchPreparation``).
    private let preparing = DispatchQueue(label: "emr-prepare")

    public init(store: StateStore, maintainer: MartMaintainer, decoder: RecordDecoder, book: OffsetBook, deadLetters: DeadLetterPublisher?) {
        self.store = store
        self.maintainer = maintainer
        self.decoder = decoder
        self.book = book
        self.deadLetters = deadLetters
    }

    /// Applies `messages`, then each further piece `more` returns until it returns nil, in one
    /// transaction with their offsets. Each piece is prepared on its own second thread and can
    /// be released once applied, so a large batch read in pieces holds one piece at a time.
    public func apply(_ messages: [ConsumedMessage], continuing more: () throws -> [ConsumedMessage]? = { nil }) throws -> BatchOutcome {
        var outcome = BatchOutcome()
        // Applied and unchanged records per entity (by ordinal), into `outcome.byEntity` at the end.
        var perEntity = [EntityOutcome](repeating: EntityOutcome(), count: Entity.allCases.count)
        let committed = book.all  // one lock per batch, not per message
        var refused: [DeadLetter] = []
        func refuse(_ message: ConsumedMessage, stage: RefusalStage, reasons: [String]) throws {
            try self.quarantine(message, stage: stage, reasons: reasons)
            refused.append(DeadLetter(source: message, stage: stage, reasons: reasons))
            outcome.rejected += 1
            outcome.byEntity[decoder.entities[message.topic]?.rawValue ?? "unknown", default: EntityOutcome()].rejected += 1
        }
        var timings = BatchTimings()
        let started = ContinuousClock.now, startedCPU = ThreadCPUClock.seconds()
        /// Applies one piece as its preparation (decoding and staging on a second thread) gives it.
        func applyPiece(_ messages: [ConsumedMessage], _ preparation: BatchPreparation) throws {
            for (index, message) in messages.enumerated() {
                let tp = message.topicPartition
                if let next = outcome.offsets[tp] ?? committed[tp], message.offset < next {
                    outcome.skipped += 1
                    continue
                }
                outcome.read += 1
                outcome.offsets[tp] = message.offset + 1
                // The versions accepted so far are written while the preparation catches up
                // (and at least every `flushEvery` versions), so that writing overlaps decoding
                // and staging; the facts that depend on them are rebuilt when the batch ends.
                let pending = maintainer.pendingCount
                if pending >= Self.flushEvery || (pending >= Self.flushWhileWaiting && !preparation.isReady(index)) {
                    try maintainer.flush()
                }
                switch preparation.message(at: index) {
                case .refused(let stage, let reasons):
                    try refuse(message, stage: stage, reasons: reasons)
                case .version(let version):
                    let entity = version.entity, position = version.position
                    if try maintainer.apply(version) == .applied {
                        outcome.applied += 1
                        perEntity[entity.ordinal].applied += 1
                        outcome.newestIngestedMs = max(outcome.newestIngestedMs ?? position.ingestedMs, position.ingestedMs)
                    } else {
                        outcome.stale += 1
                        perEntity[entity.ordinal].unchanged += 1
                    }
                }
            }
        }
        /// Applies `messages` and every further piece. The next piece is polled before the one
        /// in hand is applied, so that its preparation starts as soon as the one before is
        /// prepared; if nothing was queued yet, it is polled again after (the batch ends only
        /// when that finds nothing either, so batches are as large as when pieces were polled
        /// one after another). Every preparation ends before this returns or throws, in the
        /// order they began.
        func applyPieces() throws {
            var current = (messages: messages, preparation: BatchPreparation(messages, decoder: decoder, on: preparing))
            var next: (messages: [ConsumedMessage], preparation: BatchPreparation)?
            defer {
                _ = current.preparation.finish()
                _ = next?.preparation.finish()
            }
            while true {
                next = try more().map { ($0, BatchPreparation($0, decoder: decoder, on: preparing)) }
                try applyPiece(current.messages, current.preparation)
                let prepared = current.preparation.finish()
                timings.decode += prepared.decode
                timings.stage += prepared.stage
                BackgroundRelease.release(current)
                if next == nil { next = try more().map { ($0, BatchPreparation($0, decoder: decoder, on: preparing)) } }
                guard let following = next else { return }
                current = following
                next = nil
            }
        }
        try store.inBatch { store in
            try maintainer.batch {
                try applyPieces()
            }
            for entity in Entity.allCases where perEntity[entity.ordinal] != EntityOutcome() {
                outcome.byEntity[entity.rawValue, default: EntityOutcome()] = outcome.byEntity[entity.rawValue, default: EntityOutcome()] + perEntity[entity.ordinal]
            }
            // Mart maintenance: the records' statements and the batch's aggregate changes (with
            // any wait for the preparation; decoding and staging overlap it).
            timings.marts = (ContinuousClock.now - started).seconds
            for (tp, next) in outcome.offsets { try store.saveOffset(topic: tp.topic, partition: tp.partition, nextOffset: next) }
            try store.add(Int64(outcome.read), to: .recordsRead)
            try store.add(Int64(outcome.applied), to: .recordsApplied)
            try store.add(Int64(outcome.stale), to: .recordsUnchanged)
            try store.add(Int64(outcome.rejected), to: .recordsRejected)
            // Before COMMIT: if publishing fails the batch rolls back and is retried whole.
            try deadLetters?.publish(refused)
            if deadLetters != nil { outcome.deadLetters = refused.count }
            try beforeCommit?(outcome)
        }
        timings.commit = max(0, (ContinuousClock.now - started).seconds - timings.marts)
        timings.applyingCPU = ThreadCPUClock.seconds() - startedCPU
        lastTimings = timings
        book.advance(outcome.offsets)
        return outcome
    }

    private func quarantine(_ message: ConsumedMessage, stage: RefusalStage, reasons: [String]) throws {
        try store.quarantine(QuarantinedRecord(
            topic: message.topic, partition: message.partition, offset: message.offset, stage: stage, reasons: reasons,
            key: message.key, value: message.value,
            headers: message.headers.map { "\($0.name)=\($0.stringValue ?? ($0.value == nil ? "(null)" : "(binary)"))" }))
    }
}
