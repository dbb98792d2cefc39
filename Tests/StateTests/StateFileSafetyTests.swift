import Foundation
@testable import State
import Testing

/// Issue 10 items 2, 5, 9, 10, 11: what the state file refuses and how it notices it was
/// replaced. Each test fails without its fix.
@Suite("State file safety: ownership, one writer, moved files, read-only readers")
struct StateFileSafetyTests {
    private func tempDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("state-safety-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("item 5: a new state file is marked as emr's (PRAGMA application_id)")
    func applicationIDOnNewFiles() throws {
        let path = "\(try tempDirectory())/state.sqlite"
        let store = try StateStore(path: path)
        #expect(try store.database.scalar("PRAGMA application_id")?.int == Int64(StateSchema.applicationID))
    }

    @Test("item 5: another application's SQLite database is refused without a byte written, also when read")
    func foreignDatabaseRefused() throws {
        let path = "\(try tempDirectory())/other.db"
        do {
            let other = try SQLiteDatabase(path: path)
            try other.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x');")
            other.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for open in [{ _ = try StateStore(path: path) }, { _ = try StateStore(readingExisting: path) }, { try StateStore.checkOwnable(path) }] {
            do {
                try open()
                Issue.record("opened another application's database")
            } catch let error as StateError {
                #expect(error.kind == .foreign, "\(error)")
                #expect(error.description.contains("customers") && error.description.hasPrefix(path), "\(error)")
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the foreign file changed")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "switched to WAL")
    }

    @Test("item 5: a database with another application_id is refused; a state file of an emr from before application ids is adopted")
    func applicationIDs() throws {
        let dir = try tempDirectory()
        do {
            let other = try SQLiteDatabase(path: "\(dir)/tagged.db")
            try other.execute("PRAGMA application_id = 1234; CREATE TABLE consumed_offsets (x); PRAGMA user_version = 1;")
            other.close()
        }
        #expect(throws: StateError.self) { _ = try StateStore(path: "\(dir)/tagged.db") }
        do {
            // What emr wrote before application ids: the schema, user_version, application_id 0.
            let old = try StateStore(path: "\(dir)/old.sqlite")
            try old.database.execute("PRAGMA application_id = 0")
            try old.inBatch { try $0.saveOffset(topic: "t", partition: 0, nextOffset: 7) }
            old.database.close()
        }
        let adopted = try StateStore(path: "\(dir)/old.sqlite")
        #expect(try adopted.storedOffsets() == ["t": [0: 7]])
        #expect(try adopted.database.scalar("PRAGMA application_id")?.int == Int64(StateSchema.applicationID))
    }

    @Test("item 9: one writer per state file; the second is refused at once naming the holder's PID, and gets it once released")
    func singleWriterLock() throws {
        let path = "\(try tempDirectory())/state.sqlite"
        let first = try StateFileLock(statePath: path)
        do {
            _ = try StateFileLock(statePath: path)
            Issue.record("a second lock was granted")
        } catch {
            #expect(error.kind == .inUse)
            #expect(error.description.contains("in use by process \(getpid())"), "\(error)")
        }
        first.release()
        let second = try StateFileLock(statePath: path)
        second.release()
    }

    @Test("item 9: schema creation is atomic: a migration that another connection already ran is skipped, not repeated")
    func atomicSchemaCreation() throws {
        let path = "\(try tempDirectory())/state.sqlite"
        // Both connections saw version 0 before either migrated (two processes starting at once).
        let a = try SQLiteDatabase(path: path), b = try SQLiteDatabase(path: path)
        let versionA = try StateSchema.checkVersion(a, known: StateSchema.baseMigrations.count)
        let versionB = try StateSchema.checkVersion(b, known: StateSchema.baseMigrations.count)
        #expect(versionA == 0 && versionB == 0)
        try StateSchema.migrate(a, from: versionA, migrations: StateSchema.baseMigrations)
        try StateSchema.migrate(b, from: versionB, migrations: StateSchema.baseMigrations)
        a.close(); b.close()
        let store = try StateStore(path: path)
        #expect(try store.database.scalar("PRAGMA user_version")?.int == Int64(StateSchema.baseMigrations.count))
    }

    @Test("item 2: a state file deleted or replaced while open fails the batch before COMMIT")
    func movedFileDetected() throws {
        let dir = try tempDirectory()
        let path = "\(dir)/state.sqlite"
        let store = try StateStore(path: path)
        try store.inBatch { try $0.saveOffset(topic: "t", partition: 0, nextOffset: 1) }
        try FileManager.default.removeItem(atPath: path)
        do {
            try store.inBatch { try $0.saveOffset(topic: "t", partition: 0, nextOffset: 2) }
            Issue.record("wrote into a deleted state file")
        } catch let error as StateError {
            #expect(error.kind == .moved && !error.isTransient, "\(error)")
        }
        // Replaced by another file under the same name: also refused.
        let other = try StateStore(path: "\(dir)/other.sqlite")
        let again = try StateStore(path: "\(dir)/again.sqlite")
        #expect(rename("\(dir)/other.sqlite", "\(dir)/again.sqlite") == 0)
        #expect(throws: StateError.self) { try again.inBatch { try $0.saveOffset(topic: "t", partition: 0, nextOffset: 3) } }
        withExtendedLifetime(other) {}
    }

    @Test("item 10: faults no retry can fix are named at once: empty path, missing directory, a directory, a read-only directory",
          .enabled(if: Self.readOnlyDirectoryPossible, "root without CAP_LINUX_IMMUTABLE (a default container): chattr +i refused, skipped"))
    func unwritableLocations() throws {
        let dir = try tempDirectory()
        let cases: [(String, String)] = [
            ("", "empty"),
            ("\(dir)/missing/state.sqlite", "does not exist"),
            (dir, "is a directory"),
        ]
        for (path, expected) in cases {
            do {
                try StateLocation.checkWritable(path)
                Issue.record("accepted \(path)")
            } catch {
                #expect(error.description.contains(expected), "\(error)")
            }
        }
        try withReadOnlyDirectory(dir) {
            #expect(throws: StateError.self) { try StateLocation.checkWritable("\(dir)/state.sqlite") }
        }
    }

    @Test("item 11: read-only commands open the state file read-only, also on a read-only directory without -wal/-shm",
          .enabled(if: Self.readOnlyDirectoryPossible, "root without CAP_LINUX_IMMUTABLE (a default container): chattr +i refused, skipped"))
    func readOnlyReaders() throws {
        let dir = try tempDirectory()
        let path = "\(dir)/state.sqlite"
        do {
            let store = try StateStore(path: path)
            try store.inBatch { try $0.saveOffset(topic: "t", partition: 3, nextOffset: 9) }
            store.database.close()  // a clean close removes -wal and -shm
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        try withReadOnlyDirectory(dir) {
            let reader = try StateStore(readingExisting: path)
            #expect(try reader.storedOffsets() == ["t": [3: 9]])
            #expect(throws: StateError.self) { try reader.inBatch { try $0.saveOffset(topic: "t", partition: 3, nextOffset: 10) } }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    /// As root, chattr +i works only with CAP_LINUX_IMMUTABLE (probed once on a scratch
    /// directory); these tests run in this process, so they cannot switch to another user.
    static let readOnlyDirectoryPossible: Bool = {
        guard getuid() == 0 else { return true }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("chattr-probe-\(UUID().uuidString)").path
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard chattr(on: true, probe) == 0 else { return false }
        return chattr(on: false, probe) == 0
    }()

    static func chattr(on: Bool, _ path: String) -> Int32 {
        let chattr = Process()
        chattr.executableURL = URL(fileURLWithPath: ["/usr/bin/chattr", "/bin/chattr", "/sbin/chattr"].first { FileManager.default.fileExists(atPath: $0) } ?? "/usr/bin/chattr")
        chattr.arguments = [on ? "+i" : "-i", path]
        chattr.standardError = FileHandle.nullDevice
        guard (try? chattr.run()) != nil else { return -1 }
        chattr.waitUntilExit()
        return chattr.terminationStatus
    }

    /// A directory nobody may write in, as on a read-only mount: root ignores permission
    /// bits, so as root the immutable attribute (chattr, from e2fsprogs) is used.
    private func withReadOnlyDirectory(_ dir: String, _ body: () throws -> Void) throws {
        let asRoot = getuid() == 0
        func set(_ on: Bool) throws {
            if asRoot {
                #expect(Self.chattr(on: on, dir) == 0, "chattr \(on ? "+i" : "-i") \(dir)")
            } else {
                try FileManager.default.setAttributes([.posixPermissions: on ? 0o555 : 0o755], ofItemAtPath: dir)
            }
        }
        try set(true)
        defer { try? set(false) }
        try body()
    }
}
