import CSQLite

/// A value read from or bound to SQLite.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var int: Int64? { if case .integer(let v) = self { v } else { nil } }
    public var text: String? { if case .text(let v) = self { v } else { nil } }
}

/// A prepared statement owned by its ``SQLiteDatabase`` (which caches and finalises it).
public final class SQLiteStatement {
    private let raw: OpaquePointer
    private unowned let database: SQLiteDatabase
    private let sql: String

    init(_ raw: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.raw = raw
        self.database = database
        self.sql = sql
    }

    func finalize() { sqlite3_finalize(raw) }

    /// Ends a row-by-row read early (or after ``step()``) and clears the bindings, so the
    /// cached statement can be used again.
    public func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Binds values to `?1, ?2, ...` in order.
    @discardableResult
    public func bind(_ values: SQLiteValue...) throws(StateError) -> SQLiteStatement {
        try bind(values)
    }

    @discardableResult
    public func bind(_ values: [SQLiteValue]) throws(StateError) -> SQLiteStatement {
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
        return self
    }

    /// Binds one value to `?position` (1-based), after ``bind(_:)-([SQLiteValue])`` bound the others.
    @discardableResult
    public func bind(_ value: SQLiteValue, at position: Int) throws(StateError) -> SQLiteStatement {
        try bind(value, at: Int32(position))
        return self
    }

    /// Binds values to named parameters (`:patient`, written with their prefix), for
    /// statements whose positions would be hard to follow. A name the statement does not
    /// have is an error (a misspelt name never binds silently nothing).
    @discardableResult
    public func bind(named values: KeyValuePairs<String, SQLiteValue>) throws(StateError) -> SQLiteStatement {
        for (name, value) in values {
            let index = sqlite3_bind_parameter_index(raw, name)
            guard index > 0 else { throw StateError(.statement, path: database.path, message: "no parameter \(name) in: \(sql.prefix(120))") }
            try bind(value, at: index)
        }
        return self
    }

    private func bind(_ value: SQLiteValue, at index: Int32) throws(StateError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(raw, index)
        case .integer(let v): rc = sqlite3_bind_int64(raw, index, v)
        case .real(let v): rc = sqlite3_bind_double(raw, index, v)
        case .text(var v):
            // Straight from the string's UTF-8 (passing the String itself would copy it into a
            // temporary C string first), up to a NUL as before.
            rc = v.withUTF8 { text in
                bindText(text.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, count: text.firstIndex(of: 0) ?? text.count,
                         at: index, inPlace: false)
            }
        case .blob(let v): rc = v.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32(v.count), Self.transient) }
        }
        if rc != SQLITE_OK { throw failure(rc) }
    }

    /// Binds `count` bytes of text, copied by SQLite or (`inPlace`) read where they are until
    /// the statement is reset; an empty text binds '' (a NULL pointer would bind NULL).
    private func bindText(_ bytes: UnsafePointer<CChar>?, count: Int, at index: Int32, inPlace: Bool) -> Int32 {
        guard let bytes, count > 0 else { return sqlite3_bind_text(raw, index, "", 0, Self.transient) }
        return sqlite3_bind_text(raw, index, bytes, Int32(count), inPlace ? Self.isStatic : Self.transient)
    }

    /// Binds `values` to `?1, ?2, ...` and steps to the end (for statements that return no
    /// rows; values bound before at higher positions stay bound for this run). SQLite reads the
    /// texts in place (`SQLITE_STATIC`), so the statement is reset and every binding cleared
    /// before the buffer goes, whatever happens: nothing points into it after this returns.
    public func run(binding values: PackedValues) throws(StateError) {
        let failed = values.bytes.withUnsafeBytes { bytes -> StateError? in
            // After the returned error is made (it names SQLite's message before the reset).
            defer { reset() }
            let text = bytes.baseAddress.map { $0.assumingMemoryBound(to: CChar.self) }
            for (i, slot) in values.slots.enumerated() {
                let index = Int32(i + 1)
                let rc: Int32
                switch slot {
                case .null: rc = sqlite3_bind_null(raw, index)
                case .integer(let v): rc = sqlite3_bind_int64(raw, index, v)
                case .real(let v): rc = sqlite3_bind_double(raw, index, v)
                case .blob(let v): rc = v.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32(v.count), Self.transient) }
                case .text(let start, let count): rc = bindText(text.map { $0 + start }, count: count, at: index, inPlace: true)
                }
                if rc != SQLITE_OK { return failure(rc) }
            }
            var rc = sqlite3_step(raw)
            while rc == SQLITE_ROW { rc = sqlite3_step(raw) }
            return rc == SQLITE_DONE ? nil : failure(rc)
        }
        if let failed { throw failed }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    private static let isStatic = unsafeBitCast(0, to: sqlite3_destructor_type.self)

    /// Advances; true when a row is available.
    public func step() throws(StateError) -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw failure(rc)
        }
    }

    /// Steps to the end (for statements that return no rows).
    public func run() throws(StateError) {
        defer { reset() }
        while try step() {}
    }

    /// Virtual-machine steps run since the last call (SQLite's own count of the work done, the
    /// same whatever the machine's speed), then starts counting again.
    func takeVirtualMachineSteps() -> Int {
        Int(sqlite3_stmt_status(raw, SQLITE_STMTSTATUS_VM_STEP, 1))
    }

    public var columnCount: Int { Int(sqlite3_column_count(raw)) }

    public func columnName(_ index: Int) -> String { String(cString: sqlite3_column_name(raw, Int32(index))) }

    public func value(_ index: Int) -> SQLiteValue {
        let i = Int32(index)
        switch sqlite3_column_type(raw, i) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(raw, i))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(raw, i))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(raw, i)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(raw, i))
            guard count > 0, let bytes = sqlite3_column_blob(raw, i) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    /// Column `index` of the current row as an integer (0 for NULL), without building a value.
    public func integer(_ index: Int) -> Int64 { sqlite3_column_int64(raw, Int32(index)) }

    /// Column `index` of the current row as its UTF-8 bytes, valid only inside `body` (no String
    /// is made; NULL gives no bytes).
    public func withText<T>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let i = Int32(index)
        let text = sqlite3_column_text(raw, i)
        return try body(UnsafeRawBufferPointer(start: text, count: text == nil ? 0 : Int(sqlite3_column_bytes(raw, i))))
    }

    /// The first row as `read` takes it from the statement (nil when there is none), without
    /// building an array of values; the statement is reset.
    public func firstRow<T>(_ read: (SQLiteStatement) throws -> T) throws -> T? {
        defer { reset() }
        return try step() ? read(self) : nil
    }

    /// The first column of the first row (nil when there is none); the statement is reset.
    public func firstValue() throws(StateError) -> SQLiteValue? {
        defer { reset() }
        return try step() ? value(0) : nil
    }

    /// Every remaining row as values.
    public func rows() throws(StateError) -> [[SQLiteValue]] {
        defer { reset() }
        var out: [[SQLiteValue]] = []
        while try step() { out.append((0..<columnCount).map(value)) }
        return out
    }

    private func failure(_ rc: Int32) -> StateError {
        StateError(.statement, path: database.path, code: rc, message: "\(database.lastMessage) (in: \(sql.prefix(120)))")
    }
}
