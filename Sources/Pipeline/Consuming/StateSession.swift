import Kafka
import Marts
import State

/// Where the consumer keeps its state while it runs: one state file (`--state`,
/// ``StateFileSession``) or a directory of task files (`--state-dir`, ``TaskDirectorySession``).
/// Reopened whole after a storage fault (a connection SQLite opened read-only stays read-only
/// until it is reopened).
protocol StateSession: AnyObject {
    /// The file or directory, for messages.
    var location: String { get }
    /// Next offset per partition as committed.
    func storedOffsets() throws -> [TopicPartition: Int64]
    /// Skips partitions' missing records with the operator's consent, recording each gap and
    /// the new start in the state that owns the partition.
    func acceptGaps(_ gaps: [AcceptedGap]) throws
    /// Applies a batch (each part in its own transaction with its offsets) and, where the
    /// session can, the further pieces `more` returns into the same transaction (until nil);
    /// what it did and where the time went.
    func apply(_ batch: [ConsumedMessage], continuing more: () throws -> [ConsumedMessage]?) throws -> (BatchOutcome, BatchTimings)
    func property(_ name: String) throws -> String?
    func setProperty(_ name: String, _ value: String) throws
    func close()
}

/// What opening a state file needs besides its path.
struct StateFileSettings {
    var readmissionWindowDays: Int64
    var decoder: RecordDecoder
    var book: OffsetBook
    var deadLetters: DeadLetterPublisher?
    /// Fault injection for crash tests (``CommitHold``).
    var beforeCommit: ((BatchOutcome) throws -> Void)?
}

/// One open state file with what works on it: the store, the mart maintainer and the batch
/// applier (one transaction per batch).
final class StateFileSession: StateSession {
    let store: StateStore
    let applier: BatchApplier

    init(path: String, _ settings: StateFileSettings) throws {
        store = try StateStore(path: path, migrations: MartSchema.migrations)
        // Commits then never wait for pages to be copied into the file (p99 latency 395 -> 61 ms
        // at 1,000 records/s, `emr bench consume --rate 1000`).
        try store.checkpointInBackground()
        let maintainer = try MartMaintainer(database: store.database, readmissionWindowDays: settings.readmissionWindowDays)
        applier = BatchApplier(store: store, maintainer: maintainer, decoder: settings.decoder, book: settings.book, deadLetters: settings.deadLetters)
        applier.beforeCommit = settings.beforeCommit
    }

    var location: String { store.database.path }

    func storedOffsets() throws -> [TopicPartition: Int64] {
        var stored: [TopicPartition: Int64] = [:]
        for (topic, partitions) in try store.storedOffsets() {
            for (partition, next) in partitions { stored[TopicPartition(topic, partition)] = next }
        }
        return stored
    }

    func acceptGaps(_ gaps: [AcceptedGap]) throws {
        try store.inBatch { store in
            for gap in gaps {
                try store.recordGap(gap)
                try store.saveOffset(topic: gap.topic, partition: gap.partition, nextOffset: gap.toOffset)
            }
        }
    }

    func apply(_ batch: [ConsumedMessage], continuing more: () throws -> [ConsumedMessage]?) throws -> (BatchOutcome, BatchTimings) {
        let outcome = try applier.apply(batch, continuing: more)
        return (outcome, applier.lastTimings)
    }

    func property(_ name: String) throws -> String? { try store.property(name) }

    func setProperty(_ name: String, _ value: String) throws {
        try store.inBatch { try $0.setProperty(name, value) }
    }

    func close() {
        store.close()
    }
}
