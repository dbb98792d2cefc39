import Foundation
import State
import Synthea
import TestSupport
import Testing

/// The exact decimal SQL functions add plain values in fixed point and fall back to
/// Foundation's `Decimal` beyond its bounds; either way the result must be the one `Decimal`
/// gives, in canonical text.
@Suite("Exact decimal SQL functions")
struct DecimalFunctionTests {
    private static let posix = Locale(identifier: "en_US_POSIX")
    private static func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: posix)! }
    private static func canonical(_ value: Decimal) -> String { value.isZero ? "0" : value.description }

    /// A random decimal text: mostly money (2 decimals), some long or odd forms, a few that the
    /// fixed point cannot hold (exponents, 38 digits, many decimals).
    private static func randomText(_ random: inout SeededRandom, moneyOnly: Bool = false) -> String {
        let sign = Int.random(in: 0..<4, using: &random) == 0 ? "-" : ""
        switch moneyOnly ? 9 : Int.random(in: 0..<10, using: &random) {
        case 0: return sign + String(Int.random(in: 0...999_999, using: &random)) + "e" + String(Int.random(in: -5...5, using: &random))
        case 1: return sign + String((0..<38).map { _ in "123456789".randomElement(using: &random)! })
        case 2: return sign + "0." + String((0..<Int.random(in: 30...37, using: &random)).map { _ in "0123456789".randomElement(using: &random)! })
        case 3: return sign + String(repeating: "9", count: Int.random(in: 30...37, using: &random)) + ".5"
        case 4: return sign + "." + String(Int.random(in: 1...99, using: &random))
        case 5: return sign + String(Int.random(in: 0...9_999, using: &random)) + "."
        default:
            return sign + String(Int.random(in: 0...99_999, using: &random)) + "." + String(format: "%02d", Int.random(in: 0...99, using: &random))
        }
    }

    @Test("sums, additions and subtractions equal Foundation's Decimal on random values, in and beyond fixed point")
    func agreesWithFoundation() throws {
        let (seed, rerun) = testSeed()
        var random = SeededRandom(seed: seed)
        let path = try temporaryDirectory("decimal-functions") + "/state.sqlite"
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        try database.execute("CREATE TABLE v (grp INTEGER NOT NULL, x TEXT)")
        var groups: [[String?]] = []
        for group in 0..<400 {
            // A third of the groups hold money only (fixed point throughout); the others mix in
            // values that move the sum to Decimal.
            let moneyOnly = group % 3 == 0
            let values: [String?] = (0..<Int.random(in: 1...40, using: &random)).map { _ in
                Int.random(in: 0..<15, using: &random) == 0 ? nil : Self.randomText(&random, moneyOnly: moneyOnly)
            }
            groups.append(values)
            for value in values {
                try database.prepare("INSERT INTO v (grp, x) VALUES (?1, ?2)").bind(.integer(Int64(group)), value.map { .text($0) } ?? .null).run()
            }
        }
        let sums = try database.prepare("SELECT grp, emr_decimal_sum(x) FROM v GROUP BY grp ORDER BY grp").rows()
        #expect(sums.count == groups.count, "\(rerun)")
        var fixedPointGroups = 0
        for (group, row) in zip(groups, sums) {
            let present = group.compactMap { $0 }
            let expected = Self.canonical(present.reduce(Decimal(0)) { $0 + Self.decimal($1) })
            #expect(row[1].text == expected, "group \(row[0].int ?? -1) \(present): \(row[1].text ?? "NULL") vs Decimal \(expected); \(rerun)")
            if present.allSatisfy({ !$0.contains("e") && $0.count < 30 }) { fixedPointGroups += 1 }
        }
        #expect(fixedPointGroups > 50, "plain money sums are exercised (\(fixedPointGroups) groups); \(rerun)")

        for _ in 0..<3_000 {
            let a = Int.random(in: 0..<10, using: &random) == 0 ? nil : Self.randomText(&random)
            let b = Int.random(in: 0..<10, using: &random) == 0 ? nil : Self.randomText(&random)
            let (x, y) = (a.map(Self.decimal) ?? 0, b.map(Self.decimal) ?? 0)
            let row = try database.prepare("SELECT emr_decimal_add(?1, ?2), emr_decimal_sub(?1, ?2)")
                .bind(a.map { .text($0) } ?? .null, b.map { .text($0) } ?? .null).rows()[0]
            #expect(row[0].text == Self.canonical(x + y), "\(a ?? "NULL") + \(b ?? "NULL"): \(row[0].text ?? "NULL"); \(rerun)")
            #expect(row[1].text == Self.canonical(x - y), "\(a ?? "NULL") - \(b ?? "NULL"): \(row[1].text ?? "NULL"); \(rerun)")
        }
        #expect(try database.scalar("SELECT emr_decimal_sum(x) FROM v WHERE grp < 0")?.text == "0", "no values sum to 0; \(rerun)")
        #expect(throws: StateError.self, "text that is no decimal is refused") {
            try database.prepare("SELECT emr_decimal_add('abc', '1')").rows()
        }
    }
}
