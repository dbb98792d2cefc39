import Kafka
import Logging

/// Which assigned partitions are being restored: with `--state-dir`, a task assigned without its
/// file (or with a file behind) is rebuilt by replaying its partitions, and it is restoring
/// until it reaches the log end seen when it was assigned (records that arrive later are normal
/// lag). Logs when a task starts and ends restoring, with its rate.
struct RestoreTracker {
    /// Per restoring partition: the log end when it was assigned.
    private var targets: [TopicPartition: Int64] = [:]
    /// Assigned partitions whose target is settled (restoring or not).
    private var seen: Set<TopicPartition> = []
    /// Per restoring task: when it started and the records it replays.
    private var started: [String: (at: ContinuousClock.Instant, records: Int64)] = [:]
    /// The current spell of restoring (from the first task restoring while none was to the
    /// last one done): when it began, its tasks and records; tasks restore side by side, so
    /// the spell's rate is the instance's restore rate.
    private var spell: (at: ContinuousClock.Instant, tasks: Set<String>, records: Int64)?
    let taskOf: (TopicPartition) -> String
    let logger: Logger

    /// Records still to replay per restoring partition.
    private(set) var remaining: [TopicPartition: Int64] = [:]

    /// The restoring tasks, sorted.
    var tasks: [String] { Set(remaining.keys.map(taskOf)).sorted() }

    init(taskOf: @escaping (TopicPartition) -> String, logger: Logger) {
        self.taskOf = taskOf
        self.logger = logger
    }

    /// Brings the picture up to date with the assignment. `next` is the state's next offset,
    /// `high` the log end (nil when not known yet: asked again on the next turn).
    mutating func update(assignment: Set<TopicPartition>, next: (TopicPartition) -> Int64?, high: (TopicPartition) -> Int64?) {
        seen.formIntersection(assignment)
        for tp in assignment.subtracting(seen) {
            guard let end = high(tp) else { continue }
            seen.insert(tp)
            let from = next(tp) ?? 0
            guard from < end else { continue }
            targets[tp] = end
            let task = taskOf(tp)
            if spell == nil { spell = (.now, [], 0) }
            spell!.tasks.insert(task)
            spell!.records += end - from
            if started[task] == nil {
                started[task] = (.now, 0)
                logger.info("restoring task \(task): replaying its partitions from the state's offsets (or the beginning) to the log end")
            }
            started[task]!.records += end - from
        }
        var left: [TopicPartition: Int64] = [:]
        for (tp, target) in targets where assignment.contains(tp) {
            let behind = target - (next(tp) ?? 0)
            if behind > 0 { left[tp] = behind }
        }
        targets = targets.filter { left[$0.key] != nil }
        let stillRestoring = Set(left.keys.map(taskOf))
        for (task, start) in started where !stillRestoring.contains(task) {
            let seconds = (ContinuousClock.now - start.at) / .seconds(1)
            let moved = assignment.contains { taskOf($0) == task }
            logger.notice(moved
                ? "restored task \(task): \(start.records) records in \(String(format: "%.2f", seconds)) s (\(Int(Double(start.records) / max(seconds, 0.001))) records/s)"
                : "task \(task) moved away while restoring")
            started[task] = nil
        }
        remaining = left
        if left.isEmpty, let done = spell {
            let seconds = (ContinuousClock.now - done.at) / .seconds(1)
            logger.notice("restore done: \(done.records) records of \(done.tasks.count) tasks in \(String(format: "%.2f", seconds)) s (\(Int(Double(done.records) / max(seconds, 0.001))) records/s)")
            spell = nil
        }
    }
}
