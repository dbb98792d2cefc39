import Marts
import State

/// Read-only snapshots of a state file for HTTP handlers. Every read opens its own read-only
/// connection and runs in one read transaction (a WAL snapshot): it never blocks the consumer
/// that writes the file and never sees half a batch.
public struct StateReader: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Runs `body` on a fresh read-only connection inside one read transaction.
    public func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        let store = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        defer { store.database.close() }
        return try store.database.readTransaction { try body(store.database) }
    }

    /// Opens a read-only connection and begins a read transaction that the caller ends by
    /// closing the connection (for responses streamed over several writes).
    public func openSnapshot() throws -> SQLiteDatabase {
        let store = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        try store.database.beginReadSnapshot()
        return store.database
    }
}
