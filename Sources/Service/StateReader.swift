import Marts
import State

/// Read-only snapshots of the marts for HTTP handlers: of one state file, or of the merge of
/// task files (``MergedStateCache``: an instance's own tasks with `--state-dir`, or several
/// directories with `emr serve --state-dir`). Every read opens its own read-only connection and
/// runs in one read transaction (a WAL snapshot): it never blocks the consumer that writes the
/// file and never sees half a batch.
public struct StateReader: Sendable {
    /// The state file, or the directories merged (for status and messages).
    public let path: String
    private let merged: MergedStateCache?

    public init(path: String) {
        self.path = path
        merged = nil
    }

    /// Reads the merge kept by `cache`; `description` names what it merges.
    public init(merging cache: MergedStateCache, description: String) {
        path = description
        merged = cache
    }

    /// The file to open now.
    public func currentFile() throws -> String {
        try merged?.currentPath() ?? path
    }

    /// Runs `body` on a fresh read-only connection inside one read transaction.
    public func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        let store = try StateStore(readingExisting: try currentFile(), migrations: MartSchema.migrations)
        defer { store.database.close() }
        return try store.database.readTransaction { try body(store.database) }
    }

    /// Opens a read-only connection and begins a read transaction that the caller ends by
    /// closing the connection (for responses streamed over several writes).
    public func openSnapshot() throws -> SQLiteDatabase {
        let store = try StateStore(readingExisting: try currentFile(), migrations: MartSchema.migrations)
        try store.database.beginReadSnapshot()
        return store.database
    }
}
