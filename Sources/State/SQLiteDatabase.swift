import CSQLite
import Foundation

/// One SQLite connection over the C API, used from one thread at a time: prepared statements
/// are cached by SQL text, transactions are explicit, every failure is a ``StateError`` naming
/// the file. Closed deterministically in `deinit` (or by ``close()``).
public final class SQLiteDatabase {
    public let path: String
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]
    /// Statements of ``SQLText`` values, indexed by their identity.
    private var statementsByID: [SQLiteStatement?] = []
    /// Told of each rollback (``observeRollbacks(_:)``); nil until one observes.
    private var rollbackObservers: RollbackObservers?

    /// Opens (creating unless `readOnly`) the file with a busy timeout; refuses a file that is not a database.
    /// A read-only open of a WAL database on a read-only file system (where SQLite cannot create
    /// the `-shm` file) falls back to reading the file as immutable.
    public init(path: String, readOnly: Bool = false, busyTimeoutMs: Int32 = 5_000) throws(StateError) {
        _ = Self.configureOnce
        self.path = path
        do {
            try open(path, readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE), busyTimeoutMs: busyTimeoutMs)
        } catch where readOnly && access(PathText.parent(of: path), W_OK) != 0 {
            let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))
            let uri = "file:\(path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)?immutable=1"
            try open(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, busyTimeoutMs: busyTimeoutMs)
        }
        try registerDecimalFunctions()
        try registerKeyHashFunction()
    }

    /// Process-wide settings, made before SQLite initializes (the first connection). Memory
    /// statistics off: they take a global mutex on every allocation (7 % of the consumer's time).
    private static let configureOnce: Void = {
        _ = emr_sqlite3_disable_memory_statistics()
    }()

    private func open(_ name: String, _ flags: Int32, busyTimeoutMs: Int32) throws(StateError) {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(name, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw StateError(.open, path: path, code: rc, message: "cannot open state database: \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMs)
        do {
            // Reading the schema fails here for a file that is not a database.
            _ = try scalar("SELECT count(*) FROM sqlite_master")
        } catch {
            close()
            throw StateError(.open, path: path, code: error.code, message: "not a valid state database: \(error.message)")
        }
    }

    /// Throws ``StateError/Kind/moved`` when the path no longer names the open file (it was
    /// deleted, renamed or replaced while open): writing on would go into an unlinked file.
    public func checkNotMoved() throws(StateError) {
        var moved: Int32 = 0
        let rc = sqlite3_file_control(handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved)
        if rc == SQLITE_OK, moved == 0 { return }
        throw StateError(.moved, path: path, code: rc,
                         message: "the state file was deleted, renamed or replaced while open; refusing to write into a file nobody can read. Nothing of this batch was committed")
    }

    var handleForExtensions: OpaquePointer? { handle }

    /// Write-ahead logging (readers see a consistent snapshot while one writer commits) with
    /// `synchronous=NORMAL`: a commit is durable once the WAL is synced at checkpoint, and a
    /// crash never corrupts the file or splits a transaction.
    public func enableWriteAheadLog() throws(StateError) {
        // Pages of 8 KiB for a new file (an existing one keeps its size): a batch dirties fewer
        // pages where random keys land in big B-trees. `emr bench consume --patients 6000
        // --partitions 48`: commit per batch 89 -> 59 ms, 12,240 -> 13,215 records/s; 600
        // patients: 19,568 -> 20,125 records/s (2 KiB: 10,628; 16 KiB: 13,050 and 19,041).
        try execute("PRAGMA page_size=8192")
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=NORMAL")
        // A bounded page cache (40 MiB) keeps hot pages in memory without growing with the state
        // (32 MiB until the consumer's temporary tables moved to a file, which left the room).
        try execute("PRAGMA cache_size=-40960")
    }

    deinit { close() }

    /// Calls `observer` after every rollback of this connection's transactions, explicit or
    /// after an error (SQLite's rollback hook): whoever keeps what it learnt from rows written
    /// inside a transaction learns here that those rows are gone.
    public func observeRollbacks(_ observer: @escaping () -> Void) {
        if rollbackObservers == nil, let handle {
            let observers = RollbackObservers()
            rollbackObservers = observers
            sqlite3_rollback_hook(handle, { context in
                Unmanaged<RollbackObservers>.fromOpaque(context!).takeUnretainedValue().notify()
            }, Unmanaged.passUnretained(observers).toOpaque())
        }
        rollbackObservers?.observers.append(observer)
    }

    /// Finalises cached statements and closes the connection. Safe to call twice.
    public func close() {
        statements.values.forEach { $0.finalize() }
        statements = [:]
        statementsByID.forEach { $0?.finalize() }
        statementsByID = []
        if let handle {
            if rollbackObservers != nil { sqlite3_rollback_hook(handle, nil, nil) }
            sqlite3_close_v2(handle)
        }
        handle = nil
    }

    /// Runs SQL that returns no rows (may hold several statements).
    public func execute(_ sql: String) throws(StateError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw StateError(.statement, path: path, code: rc, message: "\(message) (in: \(sql.prefix(120)))")
        }
    }

    /// A cached prepared statement, reset and with bindings cleared.
    public func prepare(_ sql: String) throws(StateError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try compile(sql)
        statements[sql] = statement
        return statement
    }

    /// The prepared statement of `sql`, found by its identity; reset and with bindings cleared.
    public func prepare(_ sql: SQLText) throws(StateError) -> SQLiteStatement {
        if sql.id < statementsByID.count, let cached = statementsByID[sql.id] {
            cached.reset()
            return cached
        }
        let statement = try compile(sql.text)
        if sql.id >= statementsByID.count {
            statementsByID.append(contentsOf: repeatElement(nil, count: sql.id + 1 - statementsByID.count))
        }
        statementsByID[sql.id] = statement
        return statement
    }

    private func compile(_ sql: String) throws(StateError) -> SQLiteStatement {
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else {
            throw StateError(.statement, path: path, code: rc, message: "\(lastMessage) (in: \(sql.prefix(120)))")
        }
        return SQLiteStatement(raw, database: self, sql: sql)
    }

    /// The first column of the first row, or nil.
    public func scalar(_ sql: String) throws(StateError) -> SQLiteValue? {
        try prepare(sql).firstValue()
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE ... COMMIT); rolls back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in a read transaction: every query inside sees one consistent snapshot of
    /// the database (in WAL mode, also while another connection commits).
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try beginReadSnapshot()
        defer { try? execute("COMMIT") }
        return try body()
    }

    /// Begins a read transaction and takes its snapshot now (it starts with the first read);
    /// it lasts until COMMIT or until the connection closes.
    public func beginReadSnapshot() throws(StateError) {
        try execute("BEGIN DEFERRED")
        _ = try scalar("SELECT count(*) FROM sqlite_master")
    }

    /// Virtual-machine steps of every cached statement since the last call: a measure of the
    /// work done that does not depend on the machine (tests compare it across state sizes).
    public func takeVirtualMachineSteps() -> Int {
        statements.values.reduce(0) { $0 + $1.takeVirtualMachineSteps() }
            + statementsByID.reduce(0) { $0 + ($1?.takeVirtualMachineSteps() ?? 0) }
    }

    /// The row id of the last row this connection inserted into a row-id table.
    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    var lastMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "database closed" }
}

/// The observers of one connection's rollbacks, reached from SQLite's hook through an
/// unretained pointer (the connection keeps them alive until it closes and clears the hook).
private final class RollbackObservers {
    var observers: [() -> Void] = []

    func notify() {
        for observer in observers { observer() }
    }
}
