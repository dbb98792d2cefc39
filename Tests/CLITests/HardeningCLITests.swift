import Foundation
import Marts
import State
import TestSupport
import Testing

/// Issue 10 as a hostile new user meets it: `emr` processes over TCP against `emr broker`.
/// Each test fails without its fix (see the item numbers).
@Suite("Hardening: refusals, fast failures and plain errors of the emr CLI", .serialized)
struct HardeningCLITests {
    /// Runs emr expecting a failure: the exit status, and stderr as one `emr: error:` line.
    static func failing(_ arguments: [String], environment: [String: String] = [:], expect status: Int32 = 1) throws -> String {
        let result = try run(try emrExecutable(), arguments, environment: environment)
        #expect(result.status == status, "emr \(arguments.joined(separator: " ")) exited \(result.status), expected \(status): \(result.stderr.suffix(1_000))")
        return result.stderr
    }

    static func errorLine(_ stderr: String) -> String {
        stderr.split(separator: "\n").last { $0.hasPrefix("emr: error:") || $0.hasPrefix("Error:") }.map(String.init) ?? ""
    }

    @Test("item 1: a state file from a replaced broker is refused (cluster id, then offsets beyond the log end) and nothing is skipped")
    func replacedBroker() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("replaced")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/big", "--patients", "30", "--organizations", "3", "--seed", String(seed)])
        try emr(["generate", "--out", "\(work)/small", "--patients", "6", "--organizations", "2", "--seed", String(seed + 1)])
        let state = "\(work)/state.sqlite"
        var broker = try BrokerProcess()
        let first = Int64(try produceAll("\(work)/big", broker))
        try consume(state, broker, group: "g")
        _ = broker.stop()
        broker = try BrokerProcess()
        let second = Int64(try produceAll("\(work)/small", broker))
        let base = ["consume", "--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--group", "g",
                    "--exit-when-caught-up", "--quiet-period", "1"]
        let cluster = Self.errorLine(try Self.failing(base))
        #expect(cluster.contains("Kafka cluster") && cluster.contains("--accept-cluster-change"), "\(context): \(cluster)")
        let beyond = Self.errorLine(try Self.failing(base + ["--accept-cluster-change"]))
        #expect(beyond.contains("beyond the log end") && beyond.contains("--accept-gap"), "\(context): \(beyond)")
        #expect(try recordsRead(state) == first, "\(context): refusals read nothing")
        try emr(base + ["--accept-cluster-change", "--accept-gap"])
        // Partitions whose new log ends below the stored offset are read from their start; the
        // others are trusted (that is what accepting the cluster change means).
        let store = try StateStore(readingExisting: state, migrations: MartSchema.migrations)
        let gaps = try store.acceptedGaps()
        #expect(!gaps.isEmpty, "\(context): no gap recorded")
        let offsets = try store.storedOffsets()
        for gap in gaps {
            #expect(gap.fromOffset > gap.logEnd && gap.toOffset == 0, "\(context): \(gap)")
            #expect(offsets[gap.topic]?[gap.partition] == gap.logEnd, "\(context): \(gap.topic)/\(gap.partition) not read to its end")
        }
        let read = try recordsRead(state) - first
        #expect(read >= gaps.reduce(0) { $0 + $1.logEnd } && read <= second, "\(context): read \(read) of the new log's \(second)")
        try emr(["verify", "--state", state])
    }

    @Test("item 2: the state file deleted while the consumer runs: exit 1 naming it, nothing committed into the void")
    func stateFileDeleted() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("deleted")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/export", "--patients", "30", "--organizations", "3", "--seed", String(seed)])
        let broker = try BrokerProcess()
        let state = "\(work)/state.sqlite", ready = "\(work)/ready"
        let producer = Process()
        producer.executableURL = try emrExecutable()
        producer.arguments = ["produce", "--export", "\(work)/export", "--all-facilities", "--brokers", broker.bootstrap,
                              "--topics", topicsDirectory, "--rate", "300"]
        producer.standardOutput = FileHandle.nullDevice
        producer.standardError = FileHandle.nullDevice
        try producer.run()
        defer { if producer.isRunning { producer.terminate() } }
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                            "--ready-file", ready], logs: "\(work)/consumer")
        #expect(consumer.wait(seconds: 60) { ((try? recordsRead(state)) ?? 0) > 0 }, "\(context): \(consumer.stderr.suffix(1_000))")
        try FileManager.default.removeItem(atPath: state)
        let status = consumer.exitStatus(within: 30)
        #expect(status == 1, "\(context): exit \(status.map(String.init) ?? "none (still running)"): \(consumer.stderr.suffix(1_000))")
        let line = Self.errorLine(consumer.stderr)
        #expect(line.contains(state) && line.contains("deleted"), "\(context): \(line)")
        #expect(!FileManager.default.fileExists(atPath: ready), "\(context): still claims to be ready")
    }

    @Test("item 5: another application's database is refused untouched; --state \"\" is a usage error")
    func foreignStateFile() throws {
        let work = try temporaryDirectory("foreign")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let path = "\(work)/app.db"
        do {
            let other = try SQLiteDatabase(path: path)
            try other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT); INSERT INTO invoices VALUES (1, '9.99');")
            other.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let broker = try BrokerProcess()
        for command in [["consume", "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--exit-when-caught-up"], ["verify"], ["quarantine"]] {
            let line = Self.errorLine(try Self.failing(command + ["--state", path]))
            #expect(line.contains("another application") && line.contains(path), "\(command[0]): \(line)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the foreign database changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work) == ["app.db"], "files appeared beside it")
        for command in ["consume", "verify", "export", "quarantine"] {
            let extra = command == "export" ? ["--out", "\(work)/x"] : []
            let stderr = try Self.failing([command, "--state", ""] + extra, expect: 2)
            #expect(stderr.contains("--state must not be empty"), "\(command): \(stderr)")
        }
    }

    @Test("item 7: numeric options outside their range, NaN or infinite are usage errors naming the range", arguments: [
        ["produce", "--export", "x", "--all-facilities", "--rate", "1e-300"], ["produce", "--export", "x", "--all-facilities", "--rate", "nan"],
        ["produce", "--export", "x", "--all-facilities", "--rate", "inf"], ["produce", "--export", "x", "--all-facilities", "--speedup", "nan"],
        ["produce", "--export", "x", "--all-facilities", "--speedup", "0"], ["produce", "--export", "x", "--all-facilities", "--sort-memory", "0"],
        ["consume", "--state", "s", "--quiet-period", "nan"], ["consume", "--state", "s", "--quiet-period", "1e300"],
        ["consume", "--state", "s", "--quiet-period=-1"], ["consume", "--state", "s", "--batch-size", "0"],
        ["consume", "--state", "s", "--connect-timeout", "inf"], ["consume", "--state", "s", "--max-clock-skew", "nan"],
        ["generate", "--out", "g", "--patients", "0"], ["demo", "--patients=-1"],
    ])
    func numericOptions(arguments: [String]) throws {
        let stderr = try Self.failing(arguments, expect: 2)
        #expect(stderr.contains("must be") && (stderr.contains(" to ") || stderr.contains("at least")), "\(arguments): \(stderr)")
        #expect(!stderr.contains("Fatal error") && !stderr.contains("backtrace"), "\(arguments): \(stderr)")
    }

    @Test("items 4 and 8: produce refuses invalid UTF-8 and a line that never ends with file:line, memory bounded")
    func produceBadCSV() throws {
        let work = try temporaryDirectory("badcsv")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/export", "--patients", "5", "--organizations", "2", "--seed", "4"])
        let broker = try BrokerProcess()
        let patients = "\(work)/export/patients.csv"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: patients))
        let secondLine = bytes.firstIndex(of: UInt8(ascii: "\n"))! + 1
        let comma = bytes[secondLine...].firstIndex(of: UInt8(ascii: ","))!
        bytes.insert(0xFF, at: comma + 3)  // inside the second field of line 2
        try bytes.write(to: URL(fileURLWithPath: patients))
        let produce = ["produce", "--export", "\(work)/export", "--all-facilities", "--brokers", broker.bootstrap, "--topics", topicsDirectory]
        let utf8 = Self.errorLine(try Self.failing(produce))
        #expect(utf8.contains("\(patients):2:") && utf8.contains("not valid UTF-8"), "\(utf8)")
        try emr(produce + ["--replace-invalid-utf8"])

        try FileManager.default.removeItem(atPath: patients)
        try FileManager.default.createSymbolicLink(atPath: patients, withDestinationPath: "/dev/zero")
        let started = Date()
        let endless = Self.errorLine(try Self.failing(produce))
        #expect(endless.contains("\(patients):1:") && endless.contains("longer than"), "\(endless)")
        #expect(Date().timeIntervalSince(started) < 60, "a hang guard, not a speed check")
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        #expect(usage.ru_maxrss < 1_000_000, "largest child so far used \(usage.ru_maxrss) KiB (7.8 GB before the cap)")
    }

    @Test("item 9: a second consumer on a state file in use exits 1 at once naming the holder; the first goes on")
    func secondConsumerRefused() throws {
        let work = try temporaryDirectory("twice")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 10, organizations: 2, seed: 9, broker)
        let state = "\(work)/state.sqlite"
        let first = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                         "--exit-when-caught-up", "--quiet-period", "2"], logs: "\(work)/first")
        #expect(first.wait(seconds: 10) { FileManager.default.fileExists(atPath: state + ".lock") })
        let started = Date()
        let line = Self.errorLine(try Self.failing(["consume", "--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                                    "--exit-when-caught-up"]))
        #expect(line.contains("in use by process \(first.process.processIdentifier)"), "\(line)")
        #expect(Date().timeIntervalSince(started) < 10, "refused at once")
        #expect(first.exitStatus(within: 90) == 0, "\(first.stderr.suffix(1_000))")
        #expect(try recordsRead(state) == produced)
        try emr(["verify", "--state", state])
    }

    @Test("items 10 and 12: start faults and unreachable brokers fail fast with --exit-when-caught-up; no broker is a usage error")
    func fastFailures() throws {
        let work = try temporaryDirectory("fast")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        try FileManager.default.createDirectory(atPath: "\(work)/adir", withIntermediateDirectories: true)
        let consume = ["consume", "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--exit-when-caught-up", "--state"]
        for (state, expected) in [("\(work)/missing/state.sqlite", "does not exist"), ("\(work)/adir", "is a directory")] {
            let started = Date()
            let line = Self.errorLine(try Self.failing(consume + [state]))
            #expect(line.contains(state) && line.contains(expected), "\(line)")
            #expect(Date().timeIntervalSince(started) < 20, "\(state): failed fast")
        }
        if let way = ReadOnlyDirectory.way {
            // A read-only mount (root ignores permission bits: see ReadOnlyDirectory).
            try FileManager.default.createDirectory(atPath: "\(work)/ro", withIntermediateDirectories: true)
            let ro = try ReadOnlyDirectory("\(work)/ro", way: way)
            try ro.setReadOnly(true)
            defer { try? ro.setReadOnly(false) }
            let result = try ro.emr(consume + ["\(ro.path)/state.sqlite"])
            #expect(result.status == 1, "\(way): \(result.stderr)")
            let line = Self.errorLine(result.stderr)
            #expect(line.contains("cannot write in its directory"), "\(way): \(line)")
        }
        let started = Date()
        let unreachable = Self.errorLine(try Self.failing(["consume", "--state", "\(work)/s.sqlite", "--brokers", "127.0.0.1:1",
                                                           "--topics", topicsDirectory, "--exit-when-caught-up", "--connect-timeout", "3"]))
        #expect(unreachable.contains("no broker answered within 3 s") && unreachable.contains("127.0.0.1:1"), "\(unreachable)")
        #expect(Date().timeIntervalSince(started) < 60, "gave up after the connect timeout")
        let empty = try Self.failing(["consume", "--state", "\(work)/s.sqlite", "--brokers", ""], expect: 2)
        #expect(empty.contains("--brokers"), "\(empty)")
        let emptyEnv = try Self.failing(["consume", "--state", "\(work)/s.sqlite"], environment: ["EMR_BROKERS": ""], expect: 2)
        #expect(emptyEnv.contains("--brokers"), "\(emptyEnv)")
    }

    @Test("item 11: verify, export and quarantine read a state file on a read-only directory",
          .enabled(if: ReadOnlyDirectory.way != nil, "\(ReadOnlyDirectory.unavailable)"))
    func readOnlyCommands() throws {
        let work = try temporaryDirectory("rocmds")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 8, organizations: 2, seed: 11, broker)
        let dir = "\(work)/state"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let state = "\(dir)/state.sqlite"
        try consume(state, broker, group: "g")
        try FileManager.default.removeItem(atPath: state + ".lock")
        let before = try FileManager.default.contentsOfDirectory(atPath: dir)
        let ro = try ReadOnlyDirectory(dir)
        try ro.setReadOnly(true)
        defer { try? ro.setReadOnly(false) }
        for command in [["verify"], ["quarantine"], ["export", "--out", try ro.writableDirectory("\(work)/out") + "/marts"]] {
            let result = try ro.emr(command + ["--state", state])
            #expect(result.status == 0, "\(ro.way): emr \(command[0]) exited \(result.status): \(result.stderr.suffix(1_000))")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == before, "\(ro.way): the commands wrote in the directory")
        #expect(try recordsRead(state) == produced)
    }

    @Test("item 13: file errors are one plain line naming the path and the problem")
    func plainFileErrors() throws {
        let work = try temporaryDirectory("plain")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let file = "\(work)/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for arguments in [["generate", "--out", "\(file)/sub", "--patients", "2"], ["generate", "--out", file, "--patients", "2"],
                          ["topics", "list", "--topics", "\(work)/none"]] {
            let stderr = try Self.failing(arguments)
            let lines = stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(stderr)")
            #expect(!stderr.contains("Domain=") && !stderr.contains("UserInfo") && stderr.contains(work), "\(arguments): \(stderr)")
        }
    }

    @Test("item 14: a misspelled secret never reaches the output, from a flag or the environment")
    func misspelledSecret() throws {
        let stderr = try Self.failing(["consume", "--state", "/tmp/unused.sqlite", "--brokers", "127.0.0.1:1", "--kafka-property", "sasl.passwrd=hunter2-flag"])
        #expect(!stderr.contains("hunter2") && stderr.contains("sasl.passwrd"), "\(stderr)")
        let env = try Self.failing(["produce", "--export", "/nonexistent", "--all-facilities", "--brokers", "127.0.0.1:1"],
                                   environment: ["EMR_KAFKA_SASL_PASSWRD": "hunter2-env"])
        #expect(!env.contains("hunter2"), "\(env)")
    }

    @Test("item 15: export refuses a non-empty directory unless --force, replaces it whole, and a failed export leaves nothing partial")
    func exportAllOrNothing() throws {
        let work = try temporaryDirectory("export")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        _ = try generateAndProduce(work, patients: 20, organizations: 3, seed: 15, broker)
        let state = "\(work)/state.sqlite"
        try consume(state, broker, group: "g")
        let out = "\(work)/marts"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: "\(out)/stale.csv"))
        let refused = Self.errorLine(try Self.failing(["export", "--state", state, "--out", out]))
        #expect(refused.contains("not empty") && refused.contains("--force"), "\(refused)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["stale.csv"])

        try emr(["export", "--state", state, "--out", out, "--force"])
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: out))
        #expect(files == Set(MartCatalog.all.map { "\($0.name).csv" } + ["manifest.json"]), "\(files)")
        let good = try MartCatalog.all.map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0.name).csv")) }

        // Disk full halfway: files over 64 KiB cannot be written (EFBIG instead of SIGXFSZ).
        let shell = "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\""
        let failed = try run(URL(fileURLWithPath: "/bin/bash"), ["-c", shell, try emrExecutable().path, "export", "--state", state, "--out", out, "--force"])
        #expect(failed.status == 1, "the export must fail under a 64 KiB file size limit: \(failed.stderr)")
        #expect(!failed.stderr.contains("Domain="), "\(failed.stderr)")
        #expect(try MartCatalog.all.map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0.name).csv")) } == good, "the previous export was damaged")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).filter { $0.contains(".partial-") || $0.contains(".old-") }.isEmpty,
                "partial files left behind")
        let fresh = "\(work)/fresh"
        _ = try run(URL(fileURLWithPath: "/bin/bash"), ["-c", shell, try emrExecutable().path, "export", "--state", state, "--out", fresh])
        #expect(!FileManager.default.fileExists(atPath: fresh), "a failed export left \(fresh)")
    }
}
