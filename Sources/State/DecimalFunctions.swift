import CSQLite
import Foundation

/// Exact decimal arithmetic for SQL: money is stored as canonical decimal text, and sums must
/// not drift with the number or order of records (spec section 4). Registered on every state
/// connection:
/// - `emr_decimal_add(a, b)` and `emr_decimal_sub(a, b)`: NULL counts as 0;
/// - `emr_decimal_sum(x)`: aggregate over non-NULL values, `0` for none.
public enum DecimalText {
    /// Parses decimal text (plain or exponent form); nil when it is not a number.
    public static func parse(_ text: String) -> Decimal? {
        Decimal(string: text, locale: posix)
    }

    private static let posix = Locale(identifier: "en_US_POSIX")

    /// Plain notation, no exponent, no trailing zeros after the point (`1500`, `0.25`, `-3.1`):
    /// Foundation's `Decimal.description` already writes exactly that (checked by tests).
    public static func canonical(_ value: Decimal) -> String {
        value.isZero ? "0" : value.description
    }
}

extension SQLiteDatabase {
    /// Registers the exact-decimal SQL functions on this connection.
    func registerDecimalFunctions() throws(StateError) {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        var rc = sqlite3_create_function_v2(handleForExtensions, "emr_decimal_add", 2, flags, nil, { context, count, arguments in
            DecimalSQL.binary(context, arguments) { $0 + $1 }
        }, nil, nil, nil)
        if rc == SQLITE_OK {
            rc = sqlite3_create_function_v2(handleForExtensions, "emr_decimal_sub", 2, flags, nil, { context, count, arguments in
                DecimalSQL.binary(context, arguments) { $0 + $1.negated }
            }, nil, nil, nil)
        }
        if rc == SQLITE_OK {
            rc = sqlite3_create_function_v2(handleForExtensions, "emr_decimal_sum", 1, flags, nil, nil, { context, count, arguments in
                DecimalSQL.step(context, arguments)
            }, { context in
                DecimalSQL.final(context)
            }, nil)
        }
        if rc != SQLITE_OK {
            throw StateError(.open, path: path, code: rc, message: "cannot register decimal functions: \(lastMessage)")
        }
    }
}

/// The C callbacks behind the decimal SQL functions: plain values within bounds are added as
/// ``ScaledDecimal``, anything else through Foundation's `Decimal` (same results, see there).
private enum DecimalSQL {
    /// An argument or a running sum.
    enum Value {
        case scaled(ScaledDecimal)
        case decimal(Decimal)

        static func + (a: Value, b: Value) -> Value {
            if case .scaled(let x) = a, case .scaled(let y) = b, let sum = x.adding(y) { return .scaled(sum) }
            return .decimal(a.decimal + b.decimal)
        }

        var negated: Value {
            switch self {
            case .scaled(let x): .scaled(x.negated)
            case .decimal(let x): .decimal(-x)
            }
        }

        var decimal: Decimal {
            switch self {
            case .scaled(let x): DecimalText.parse(x.canonicalText) ?? 0
            case .decimal(let x): x
            }
        }
    }

    /// Aggregate state kept in SQLite's zeroed aggregate context.
    struct SumState {
        var started: Bool
        var sum: Value
    }

    /// The state in the aggregate context, aligned for its `Int128` (SQLite aligns to 8 bytes);
    /// nil when there is none (no row was added) or no memory.
    static func sumState(_ context: OpaquePointer?, allocating: Bool) -> UnsafeMutablePointer<SumState>? {
        let alignment = MemoryLayout<SumState>.alignment
        let size = allocating ? Int32(MemoryLayout<SumState>.stride + alignment) : 0
        guard let raw = sqlite3_aggregate_context(context, size) else { return nil }
        let aligned = (Int(bitPattern: raw) + alignment - 1) & ~(alignment - 1)
        return UnsafeMutableRawPointer(bitPattern: aligned)!.bindMemory(to: SumState.self, capacity: 1)
    }

    /// The argument's value, `.some(nil)` for NULL, nil when it is not a decimal.
    static func argument(_ arguments: UnsafeMutablePointer<OpaquePointer?>?, _ index: Int) -> Value?? {
        guard let value = arguments?[index], sqlite3_value_type(value) != SQLITE_NULL else { return .some(nil) }
        guard let text = sqlite3_value_text(value) else { return .some(nil) }
        let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(value)))
        if let scaled = ScaledDecimal(text: bytes) { return .some(.scaled(scaled)) }
        return DecimalText.parse(String(decoding: bytes, as: UTF8.self)).map { .some(.decimal($0)) } ?? nil
    }

    static func result(_ context: OpaquePointer?, _ value: Value) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        switch value {
        case .scaled(let x):
            x.withCanonicalText { text in
                text.withMemoryRebound(to: CChar.self) { sqlite3_result_text(context, $0.baseAddress, Int32($0.count), transient) }
            }
        case .decimal(let x):
            sqlite3_result_text(context, DecimalText.canonical(x), -1, transient)
        }
    }

    static func binary(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?, _ op: (Value, Value) -> Value) {
        guard let a = argument(arguments, 0), let b = argument(arguments, 1) else {
            sqlite3_result_error(context, "emr_decimal: argument is not a decimal", -1)
            return
        }
        result(context, op(a ?? .scaled(.zero), b ?? .scaled(.zero)))
    }

    static func step(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let state = sumState(context, allocating: true) else {
            sqlite3_result_error_nomem(context)
            return
        }
        if !state.pointee.started { state.initialize(to: SumState(started: true, sum: .scaled(.zero))) }
        guard let value = argument(arguments, 0) else {
            sqlite3_result_error(context, "emr_decimal_sum: argument is not a decimal", -1)
            return
        }
        if let value { state.pointee.sum = state.pointee.sum + value }
    }

    static func final(_ context: OpaquePointer?) {
        let sum = sumState(context, allocating: false).flatMap { $0.pointee.started ? $0.pointee.sum : nil } ?? .scaled(.zero)
        result(context, sum)
    }
}
