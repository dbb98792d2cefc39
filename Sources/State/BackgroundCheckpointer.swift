import Foundation

/// Copies committed pages from the write-ahead log back into the database file on a thread
/// of its own (with its own connection), so the writer's commits do not wait for it.
///
/// The writer calls ``nudge()`` after each commit; the checkpointer then runs a PASSIVE
/// checkpoint (never blocking the writer or readers). Once the log is fully copied, the
/// writer's next transaction starts the log again from its beginning, so it stays bounded.
/// The writer keeps a high automatic checkpoint threshold as a safety net for when this thread
/// falls behind. Durability is unchanged: a checkpoint syncs the log before the file.
public final class BackgroundCheckpointer: @unchecked Sendable {
    // Every mutable field is guarded by `condition`; the connection is used only by the thread.
    private let condition = NSCondition()
    private var requested = false
    private var stopping = false
    private var running = true
    private var failure: StateError?
    private let database: SQLiteDatabase

    /// Opens a second connection to the (existing, WAL-mode) state file at `path` and starts the thread.
    public init(path: String) throws(StateError) {
        database = try SQLiteDatabase(path: path)
        let thread = Thread { [self] in loop() }
        thread.name = "emr-checkpoint"
        thread.start()
    }

    /// Asks for a checkpoint soon (cheap; coalesces with one already asked for).
    public func nudge() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// The last checkpoint failure, if any (the writer's own checkpoints still bound the log).
    public var lastFailure: StateError? {
        condition.lock()
        defer { condition.unlock() }
        return failure
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

    private func loop() {
        condition.lock()
        while true {
            while !requested && !stopping { condition.wait() }
            if stopping { break }
            requested = false
            condition.unlock()
            let result: StateError?
            do { try database.execute("PRAGMA wal_checkpoint(PASSIVE)"); result = nil } catch { result = error }
            condition.lock()
            failure = result
        }
        database.close()
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
