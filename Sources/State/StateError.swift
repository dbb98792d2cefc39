/// A state-database failure, naming the file and SQLite's own code and message.
public struct StateError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file cannot be opened or is not a database.
        case open
        /// The file was written by a newer emr (schema version higher than this one knows).
        case newerSchema
        /// The file failed its integrity check.
        case corrupt
        /// A statement failed (disk full, read-only file, locked database, constraint, ...).
        case statement
        /// Another process holds the state file's writer lock.
        case inUse
        /// An SQLite database of another application: never written to.
        case foreign
        /// The path no longer names the open file (deleted, or replaced by another file).
        case moved
    }

    public var kind: Kind
    public var path: String
    /// SQLite's result code (0 when not from SQLite).
    public var code: Int32
    public var message: String

    public init(_ kind: Kind, path: String, code: Int32 = 0, message: String) {
        self.kind = kind
        self.path = path
        self.code = code
        self.message = message
    }

    public var description: String { "\(path): \(message)" }

    /// Another connection holds SQLite's lock (BUSY, LOCKED): worth waiting for, also at start.
    public var isBusy: Bool {
        guard kind == .statement || kind == .open else { return false }
        return [5, 6].contains(code & 0xFF)
    }

    /// Storage faults that may clear by themselves or by an operator's hand (busy or locked
    /// database, read-only file, disk full, I/O error, file that cannot be opened, permission):
    /// worth retrying with the same batch. Schema, corruption and statement bugs are not.
    public var isTransient: Bool {
        guard kind == .statement || kind == .open else { return false }
        let primary = code & 0xFF
        return [3, 5, 6, 8, 10, 13, 14].contains(primary)  // PERM, BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN
    }
}
