import Foundation

/// Copies committed pages from the write-ahead log back into the database file on a thread
/// of its own (with its own connection), so the writer's commits do not wait for it.
///
/// The writer reports each commit (``committed(pages:)``); the checkpointer runs a PASSIVE
/// checkpoint (never blocking the writer or readers) once the ``Policy`` says enough is
/// waiting. Once the log is fully copied, the writer's next transaction starts the log again
/// from its beginning, so it stays bounded. The writer keeps a high automatic checkpoint
/// threshold as a safety net for when this thread falls behind. Consistency is unchanged: a
/// crash keeps whole transactions whether or not they were copied, and a checkpoint syncs the
/// log before the file.
public final class BackgroundCheckpointer: @unchecked Sendable {
    /// When to copy the log into the file.
    public struct Policy: Sendable {
        /// Copy once the commits not yet copied wrote this many pages to the log...
        public var pages: Int
        /// ...or this long after the first of them, whichever comes first.
        public var delay: Duration

        /// A page every commit wrote is copied once per checkpoint, however often the commits
        /// since rewrote it: waiting for 8,192 pages (64 MiB of 8 KiB pages) or two seconds
        /// copies the pages a run of batches shares (aggregates, indexes) once rather than
        /// after every batch. `emr consume` over `emr bench consume`'s topics, alternating:
        /// see the README's "Measured".
        public static let `default` = Policy(pages: 8_192, delay: .seconds(2))
        /// After every commit.
        public static let everyCommit = Policy(pages: 0, delay: .zero)

        public init(pages: Int, delay: Duration) {
            self.pages = pages
            self.delay = delay
        }
    }

    // Every mutable field is guarded by `condition`; the connection is used only by the thread.
    private let condition = NSCondition()
    private let policy: Policy
    /// Pages the commits not yet copied wrote, and when the first of them committed.
    private var waitingPages = 0
    private var firstWaiting: ContinuousClock.Instant?
    private var stopping = false
    private var running = true
    private var failure: StateError?
    private var completed = 0
    private let database: SQLiteDatabase

    /// Opens a second connection to the (existing, WAL-mode) state file at `path` and starts the thread.
    public init(path: String, policy: Policy = .default) throws(StateError) {
        self.policy = policy
        database = try SQLiteDatabase(path: path)
        let thread = Thread { [self] in loop() }
        thread.name = "emr-checkpoint"
        thread.start()
    }

    /// Reports a commit that wrote `pages` pages to the log (cheap; the thread decides when to copy).
    public func committed(pages: Int) {
        condition.lock()
        if firstWaiting == nil { firstWaiting = .now }
        waitingPages += pages
        condition.signal()
        condition.unlock()
    }

    /// The last checkpoint failure, if any (the writer's own checkpoints still bound the log).
    public var lastFailure: StateError? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Checkpoints run so far.
    public var checkpoints: Int {
        condition.lock()
        defer { condition.unlock() }
        return completed
    }

    /// Stops the thread after its current checkpoint and closes its connection (call it once,
    /// before the writer closes; the thread keeps this object alive until then).
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        while running { condition.wait() }
        condition.unlock()
    }

    /// When the waiting commits are due to be copied (nil: nothing waits).
    private var due: ContinuousClock.Instant? {
        guard let firstWaiting else { return nil }
        return waitingPages >= policy.pages ? firstWaiting : firstWaiting + policy.delay
    }

    private func loop() {
        condition.lock()
        while true {
            if stopping { break }
            guard let due else {
                condition.wait()
                continue
            }
            let now = ContinuousClock.now
            if now < due {
                _ = condition.wait(until: Date(timeIntervalSinceNow: (due - now) / .seconds(1)))
                continue
            }
            waitingPages = 0
            firstWaiting = nil
            condition.unlock()
            let result: StateError?
            do { try database.execute("PRAGMA wal_checkpoint(PASSIVE)"); result = nil } catch { result = error }
            condition.lock()
            failure = result
            completed += 1
        }
        database.close()
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
