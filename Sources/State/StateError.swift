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

    /// Faults that may clear by themselves (busy/locked, disk full, I/O): worth retrying.
    public var isTransient: Bool {
        let primary = code & 0xFF
        return [5, 6, 10, 13].contains(primary)  // BUSY, LOCKED, IOERR, FULL
    }
}
