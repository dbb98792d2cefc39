import Foundation
import Logging
import Marts
import Synchronization

/// `emr consume --snapshot-every`: takes a ``SnapshotRotation`` snapshot of the marts (the state
/// file, or the merge of the instance's tasks) every interval on a thread of its own, reading through its own read-only connection, so the
/// consume loop never waits for it (WAL readers do not block the writer). A failed snapshot is
/// logged and counted; the next interval tries again.
public final class PeriodicSnapshots: Sendable {
    private let rotation: SnapshotRotation
    private let reader: StateReader
    private let intervalSeconds: Double
    private let logger: Logger
    private let stopped = Mutex(false)
    private let wake = NSCondition()
    private let done = Atomic(false)
    private let started = Atomic(false)
    /// Snapshots written and failed so far.
    public let written = Atomic(0), failed = Atomic(0)

    public init(rotation: SnapshotRotation, reader: StateReader, intervalSeconds: Double, logger: Logger) {
        self.rotation = rotation
        self.reader = reader
        self.intervalSeconds = intervalSeconds
        self.logger = logger
    }

    /// Starts the thread; the first snapshot comes one interval after the start.
    public func start() {
        guard started.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let thread = Thread { [self] in
            while waitInterval() {
                takeOne()
            }
            done.store(true, ordering: .releasing)
        }
        thread.name = "emr-snapshots"
        thread.start()
    }

    /// Stops after the snapshot in progress (if any) is complete; waits at most `timeoutSeconds`.
    public func stop(timeoutSeconds: Double = 60) {
        guard started.load(ordering: .acquiring) else { return }
        wake.lock()
        stopped.withLock { $0 = true }
        wake.broadcast()
        wake.unlock()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !done.load(ordering: .acquiring) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    }

    /// Waits one interval; false once stopped.
    private func waitInterval() -> Bool {
        let until = Date().addingTimeInterval(intervalSeconds)
        wake.lock()
        defer { wake.unlock() }
        while !stopped.withLock({ $0 }) {
            if !wake.wait(until: until) { return !stopped.withLock { $0 } }
        }
        return false
    }

    private func takeOne() {
        let started = ContinuousClock.now
        do {
            let summary = try rotation.take(statePath: try reader.currentFile(), source: reader.path)
            written.add(1, ordering: .relaxed)
            logger.info("snapshot \(summary.directory) (\(rotation.format.rawValue), \(summary.rows.values.reduce(0, +)) rows) in \(started.duration(to: .now))")
        } catch {
            failed.add(1, ordering: .relaxed)
            logger.error("scheduled snapshot into \(rotation.directory) failed (the next one is tried in \(intervalSeconds) s): \(error)")
        }
    }
}
