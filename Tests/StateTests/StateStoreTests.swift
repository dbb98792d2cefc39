import Foundation
import State
import Testing

@Suite("State file: SQLite schema, batches, offsets, quarantine")
struct StateStoreTests {
    private func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString).sqlite").path
    }

    @Test("a new file gets the current schema in WAL mode; reopening keeps it")
    func migrations() throws {
        let path = tempPath()
        do {
            let store = try StateStore(path: path)
            #expect(try store.database.scalar("PRAGMA user_version")?.int == Int64(StateSchema.baseMigrations.count))
            #expect(try store.database.scalar("PRAGMA journal_mode")?.text == "wal")
            try store.inBatch { try $0.saveOffset(topic: "t", partition: 1, nextOffset: 42) }
        }
        let reopened = try StateStore(path: path)
        #expect(try reopened.storedOffsets() == ["t": [1: 42]])
    }

    @Test("text binds as given: empty is '' (not NULL), non-ASCII and long text round trip, a NUL ends it as before")
    func textBinding() throws {
        let store = try StateStore(path: tempPath())
        let long = String(repeating: "é🩺x", count: 500)
        for (given, stored) in [("", ""), ("a", "a"), ("Zoë 🏥", "Zoë 🏥"), (long, long), ("before\u{0}after", "before")] {
            let row = try store.database.prepare("SELECT typeof(?1), ?1, length(CAST(?1 AS BLOB))").bind(.text(given)).firstRow { row in
                (row.value(0).text, row.value(1).text, row.integer(2))
            }
            #expect(row?.0 == "text", "\(given.debugDescription)")
            #expect(row?.1 == stored, "\(given.debugDescription)")
            #expect(row?.2 == Int64(stored.utf8.count), "\(given.debugDescription)")
        }
        #expect(try store.database.prepare("SELECT 1 WHERE 0").firstRow { $0.integer(0) } == nil)
    }

    @Test("packed values bind like values one by one: every type, empty and NUL-cut texts, with a value bound after them kept")
    func packedValues() throws {
        let store = try StateStore(path: tempPath())
        let db = store.database
        try db.execute("CREATE TABLE t (a, b, c, d, e, f, g, h)")
        let values: [SQLiteValue] = [.text("Zoë 🏥"), .null, .integer(-42), .real(2.5), .text(""), .blob([0, 1, 255]), .text("cut\u{0}here")]
        let insert = try db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)").bind(.integer(8), at: 8)
        try insert.run(binding: PackedValues(values))
        try db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)").bind(values + [.integer(8)]).run()
        let rows = try db.prepare("SELECT a, typeof(b), c, d, typeof(e), e, f, g, h FROM t").rows()
        #expect(rows.count == 2)
        #expect(rows.first == rows.last)
        #expect(rows.first == [.text("Zoë 🏥"), .text("null"), .integer(-42), .real(2.5), .text("text"), .text(""), .blob([0, 1, 255]), .text("cut"), .integer(8)])
    }

    @Test("a batch that fails leaves nothing behind; one that succeeds keeps everything")
    func batchAtomicity() throws {
        let path = tempPath()
        let store = try StateStore(path: path)
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            try store.inBatch { s in
                try s.saveOffset(topic: "t", partition: 0, nextOffset: 10)
                try s.add(5, to: .recordsRead)
                throw Crash()
            }
        }
        #expect(try store.storedOffsets().isEmpty)
        #expect(try store.counter(.recordsRead) == 0)
        try store.inBatch { s in
            try s.saveOffset(topic: "t", partition: 0, nextOffset: 10)
            try s.saveOffset(topic: "t", partition: 0, nextOffset: 12)
            try s.add(5, to: .recordsRead)
            try s.add(2, to: .recordsRead)
        }
        #expect(try StateStore(path: path).storedOffsets() == ["t": [0: 12]])
        #expect(try store.counter(.recordsRead) == 7)
    }

    @Test("a redelivered quarantined record is kept once, with its reasons and bytes")
    func quarantine() throws {
        let store = try StateStore(path: tempPath())
        let record = QuarantinedRecord(topic: "emr.raw.patients", partition: 3, offset: 17, stage: .staging,
                                       reasons: ["BIRTHDATE: required field is empty", "key: mismatch"],
                                       key: Array("p1".utf8), value: [0xFF, 0x00, 0x7B], headers: ["ce_type=patients"])
        try store.inBatch { try $0.quarantine(record); try $0.quarantine(record) }
        #expect(try store.quarantined() == [record])
    }

    @Test("a file from a newer emr is refused and left untouched")
    func newerSchemaRefused() throws {
        let path = tempPath()
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("CREATE TABLE future (x); PRAGMA user_version = 999; PRAGMA application_id = \(StateSchema.applicationID);")
            db.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            _ = try StateStore(path: path)
            Issue.record("opened a newer schema")
        } catch let error as StateError {
            #expect(error.kind == .newerSchema)
            #expect(error.description.contains("999"))
            #expect(error.description.hasPrefix(path))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "not switched to WAL")
    }

    @Test("a file that is not a database is refused and left untouched")
    func corruptRefused() throws {
        let path = tempPath()
        let garbage = Data(repeating: 0x42, count: 8192)
        try garbage.write(to: URL(fileURLWithPath: path))
        #expect(throws: StateError.self) { _ = try StateStore(path: path) }
        do { _ = try StateStore(path: path) } catch let error as StateError { #expect(error.kind == .open) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }
}

@Suite("File paths split by hand")
struct PathTextTests {
    @Test("parent and name of relative, absolute, one-character and trailing-slash paths (NSString traps on `a`)")
    func splits() {
        let cases: [(String, String, String)] = [
            ("a", ".", "a"), ("ab", ".", "ab"), ("state.sqlite", ".", "state.sqlite"), ("a/b", "a", "b"), ("./a", ".", "a"),
            ("/a", "/", "a"), ("/tmp/x/state.sqlite", "/tmp/x", "state.sqlite"), ("a/b/", "a", "b"), ("/", "/", "/"),
        ]
        for (path, parent, name) in cases {
            #expect(PathText.parent(of: path) == parent, "parent of \(path)")
            #expect(PathText.name(of: path) == name, "name of \(path)")
        }
    }
}
