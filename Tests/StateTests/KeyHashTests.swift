import Foundation
import State
import Synthea
import TestSupport
import Testing

/// `key_hash` is stored in state files (migration 11): the hash must never change, and the SQL
/// function must give what the writer computes in Swift.
@Suite("Natural key hash")
struct KeyHashTests {
    /// Values computed outside this code (FNV-1a 64 and MurmurHash3's fmix64, in Python), once.
    @Test("the hash of fixed keys is the one stored state files hold", arguments: [
        ("", Int64(-1_166_397_803_181_037_274)),
        ("a", -9_033_471_704_281_723_301),
        ("b2f1c3a4-0000-4c1e-9f00-3e5d2a6b7c8d", -6_325_667_931_269_787_689),
        ("E1|44054006", -7_633_424_558_787_034_261),
        ("Zoë|ä", 8_080_145_270_475_052_114),
    ])
    func fixedValues(key: String, expected: Int64) throws {
        #expect(KeyHash.of(key) == expected, "KeyHash.of(\(key.debugDescription))")
        let database = try SQLiteDatabase(path: try temporaryDirectory("key-hash") + "/state.sqlite")
        defer { database.close() }
        #expect(try database.prepare("SELECT emr_key_hash(?1)").bind(.text(key)).rows() == [[.integer(expected)]],
                "emr_key_hash(\(key.debugDescription))")
    }

    @Test("the SQL function equals the Swift hash on random keys (ASCII, UTF-8, separators), and NULL stays NULL")
    func sqlAgreesWithSwift() throws {
        let (seed, rerun) = testSeed()
        var random = SeededRandom(seed: seed)
        let database = try SQLiteDatabase(path: try temporaryDirectory("key-hash") + "/state.sqlite")
        defer { database.close() }
        try database.execute("CREATE TABLE k (key TEXT)")
        let pieces = ["a", "Z", "0", "|", "-", "é", "ß", "中", "🙂", " ", "\u{301}"]
        var keys: [String] = []
        for _ in 0..<2_000 {
            let key = (0..<Int.random(in: 0...48, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            keys.append(key)
            try database.prepare("INSERT INTO k (key) VALUES (?1)").bind(.text(key)).run()
        }
        let hashes = try database.prepare("SELECT emr_key_hash(key) FROM k ORDER BY rowid").rows().map { $0[0] }
        #expect(hashes == keys.map { .integer(KeyHash.of($0)) }, "\(rerun)")
        #expect(Set(hashes).count == Set(keys).count, "\(rerun): two different keys share a hash")
        #expect(try database.prepare("SELECT emr_key_hash(NULL)").rows() == [[.null]])
    }
}
