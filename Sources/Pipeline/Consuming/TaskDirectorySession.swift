import Foundation
import Kafka
import Marts
import State

/// The state of `--state-dir DIR`: a file per task (``TaskFiles``), created the first time one
/// of its partitions delivers a record and reopened on every start. A batch is split by task
/// and each part is applied in its task's own transaction with its own offsets, so a task file
/// holds exactly its partitions and the files of several instances merge (``MartMerge``).
final class TaskDirectorySession: StateSession {
    let location: String
    /// Threads applying different tasks' parts of a batch at once.
    let workers: Int
    private let settings: StateFileSettings
    private var tasks: [String: StateFileSession] = [:]
    /// Properties set on the directory (the Kafka cluster id), written into every task file,
    /// also those created later.
    private var properties: [String: String] = [:]

    init(directory: String, workers: Int, _ settings: StateFileSettings) throws {
        location = directory
        self.workers = max(1, workers)
        self.settings = settings
        do {
            for name in try TaskFiles.names(in: directory) { tasks[name] = try StateFileSession(path: TaskFiles.path(of: name, in: directory), settings) }
        } catch {
            close()
            throw error
        }
    }

    private func task(of topic: String, _ partition: Int32) -> String {
        settings.decoder.task(of: TopicPartition(topic, partition))
    }

    private func session(_ name: String) throws -> StateFileSession {
        if let open = tasks[name] { return open }
        let created = try StateFileSession(path: TaskFiles.path(of: name, in: location), settings)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) { try created.setProperty(key, value) }
        tasks[name] = created
        return created
    }

    func storedOffsets() throws -> [TopicPartition: Int64] {
        try tasks.values.reduce(into: [:]) { all, task in all.merge(try task.storedOffsets()) { max($0, $1) } }
    }

    func acceptGaps(_ gaps: [AcceptedGap]) throws {
        for (name, part) in Dictionary(grouping: gaps, by: { task(of: $0.topic, $0.partition) }) { try session(name).acceptGaps(part) }
    }

    /// Each task's part in its own file's transaction; `more` is never called (a batch is one
    /// poll here, so that every task file is committed before the next poll, where partitions
    /// may move).
    func apply(_ batch: [ConsumedMessage], continuing more: () throws -> [ConsumedMessage]?) throws -> (BatchOutcome, BatchTimings) {
        var outcome = BatchOutcome(), timings = BatchTimings()
        let grouped = Dictionary(grouping: batch) { task(of: $0.topic, $0.partition) }
        // Files are opened (or created) here, on the loop's thread; only applying runs in parallel.
        let parts = try grouped.keys.sorted().map { (session: try session($0), messages: grouped[$0]!) }
        let results: [ParallelApply.PartResult] = workers == 1 || parts.count == 1
            ? parts.map { part in Result { try part.session.apply(part.messages, continuing: { nil }) } }
            : ParallelApply(parts).run(lanes: workers)
        // Parts that succeeded are committed; the first failure is reported (its task, and any
        // other that failed, are rewound and retried with the batch).
        for result in results {
            let (partOutcome, partTimings) = try result.get()
            outcome += partOutcome
            timings += partTimings
        }
        return (outcome, timings)
    }

    func property(_ name: String) throws -> String? {
        tasks.keys.sorted().lazy.compactMap { try? self.tasks[$0]?.property(name) }.first ?? properties[name]
    }

    func setProperty(_ name: String, _ value: String) throws {
        properties[name] = value
        for key in tasks.keys.sorted() { try tasks[key]!.setProperty(name, value) }
    }

    func close() {
        for task in tasks.values { task.close() }
        tasks = [:]
    }
}
