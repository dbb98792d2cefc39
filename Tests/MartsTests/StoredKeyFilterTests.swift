import Foundation
@testable import Marts
import State
import Synthea
import Testing

/// The filter that lets the maintainer skip looking up keys it has never seen must never say
/// "never seen" of a key it was given, whether the key came from the state file or a record.
@Suite("Stored key filter")
struct StoredKeyFilterTests {
    private static func key(_ random: inout SeededRandom) -> String {
        let length = Int.random(in: 1...48, using: &random)
        return String((0..<length).map { _ in "0123456789abcdef-Zoë🩺".randomElement(using: &random)! })
    }

    @Test("no false 'never seen', also past its first size and for keys read from SQLite; few false 'maybe'")
    func noFalseNegatives() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("filter-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try SQLiteDatabase(path: path)
        try database.execute("CREATE TABLE current_things (natural_key TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID")
        let stored = Set((0..<5_000).map { _ in Self.key(&random) })
        let insert = try database.prepare("INSERT INTO current_things (natural_key) VALUES (?1)")
        for key in stored { try insert.bind(.text(key)).run() }

        let filter = try StoredKeyFilter.of("current_things", in: database, minimumCapacity: 1_000)
        // Sized for 10,000 keys: 60,000 more make it grow three times.
        let added = (0..<60_000).map { _ in Self.key(&random) + "+" }
        for key in added { filter.insert(key) }
        let missed = (Array(stored) + added).filter { !filter.mayContain($0) }
        let missedCount = missed.count
        #expect(missedCount == 0, "keys given said never seen, e.g. \(missed.prefix(3)) (seed \(seed))")

        let others = (0..<20_000).map { _ in Self.key(&random) + "#" }
        let falseMaybe = others.filter(filter.mayContain).count
        #expect(falseMaybe < 20_000 / 20, "\(falseMaybe) of 20,000 keys never given said maybe (seed \(seed))")

        // SQLite stores text up to a NUL, so the filter hashes it up to there too.
        filter.insert("abc\u{0}def")
        #expect(filter.mayContain("abc"))
    }
}
