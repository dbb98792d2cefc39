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
                DecimalSQL.binary(context, arguments) { $0 - $1 }
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

/// The C callbacks behind the decimal SQL functions.
private enum DecimalSQL {
    /// Aggregate state kept in SQLite's zeroed aggregate context.
    struct SumState {
        var started: Bool
        var sum: Decimal
    }

    static func argument(_ arguments: UnsafeMutablePointer<OpaquePointer?>?, _ index: Int) -> Decimal?? {
        guard let value = arguments?[index], sqlite3_value_type(value) != SQLITE_NULL else { return .some(nil) }
        guard let text = sqlite3_value_text(value) else { return .some(nil) }
        return DecimalText.parse(String(cString: text)).map { .some($0) } ?? nil
    }

    static func result(_ context: OpaquePointer?, _ value: Decimal) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_result_text(context, DecimalText.canonical(value), -1, transient)
    }

    static func binary(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?, _ op: (Decimal, Decimal) -> Decimal) {
        guard let a = argument(arguments, 0), let b = argument(arguments, 1) else {
            sqlite3_result_error(context, "emr_decimal: argument is not a decimal", -1)
            return
        }
        result(context, op(a ?? 0, b ?? 0))
    }

    static func step(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let raw = sqlite3_aggregate_context(context, Int32(MemoryLayout<SumState>.stride)) else {
            sqlite3_result_error_nomem(context)
            return
        }
        let state = raw.bindMemory(to: SumState.self, capacity: 1)
        if !state.pointee.started { state.initialize(to: SumState(started: true, sum: 0)) }
        guard let value = argument(arguments, 0) else {
            sqlite3_result_error(context, "emr_decimal_sum: argument is not a decimal", -1)
            return
        }
        if let value { state.pointee.sum += value }
    }

    static func final(_ context: OpaquePointer?) {
        let raw = sqlite3_aggregate_context(context, 0)
        let sum = raw.map { $0.bindMemory(to: SumState.self, capacity: 1).pointee }.flatMap { $0.started ? $0.sum : nil } ?? 0
        result(context, sum)
    }
}
