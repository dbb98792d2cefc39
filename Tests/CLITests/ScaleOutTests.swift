import Foundation
import Marts
import State
import TestSupport
import Testing

/// Scale-out on Kafka's consumer groups (issue 14, docs/scaling.md): a state directory holds a
/// file per task, and the directories of a group's instances merge into exactly the marts of
/// one consumer of everything.
@Suite("Scale-out: task files per partition, merged exactly", .serialized)
struct ScaleOutTests {
    /// The 11 CSV exports (and the manifests' offsets) of two exports are identical.
    static func expectSameExports(_ a: String, _ b: String, context: String) throws {
        try expectSameMartFiles(a, b, context: context)
        func offsets(_ directory: String) throws -> String {
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/manifest.json"))) as? [String: Any]
            return String(decoding: try JSONSerialization.data(withJSONObject: manifest?["offsets"] ?? [], options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(try offsets(a) == offsets(b), "\(context): the manifests' offsets differ")
    }

    @Test("one consumer with --state-dir (2 workers, then 1): a file per task, every task verifies, the merged export equals a --state consumer's byte for byte")
    func oneConsumerWithTaskFiles() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("state-dir")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 80, organizations: 8, seed: seed, broker)
        let base = ["--brokers", broker.bootstrap, "--topics", topicsDirectory, "--exit-when-caught-up", "--quiet-period", "1"]
        let consumed = try emr(["consume", "--state-dir", "\(work)/tasks", "--group", "tasks", "--workers", "2"] + base)
        #expect(consumed.stdout.contains("read \(produced) "), "\(context): \(consumed.stdout)")
        try emr(["consume", "--state", "\(work)/single.sqlite", "--group", "single"] + base)
        let files = try TaskFiles.names(in: "\(work)/tasks")
        #expect(files == (0..<6).map { "patients-\($0)" } + ["reference-0", "reference-1"], "\(context): \(files)")
        let verified = try emr(["verify", "--state-dir", "\(work)/tasks"])
        #expect(verified.stdout.contains("all 8 task files"), "\(context): \(verified.stdout)")
        try emr(["export", "--state-dir", "\(work)/tasks", "--out", "\(work)/merged"])
        try emr(["export", "--state", "\(work)/single.sqlite", "--out", "\(work)/single"])
        try Self.expectSameExports("\(work)/merged", "\(work)/single", context: context)
        // One worker applies the same tasks one after the other: the same marts.
        try emr(["consume", "--state-dir", "\(work)/serial", "--group", "serial", "--workers", "1"] + base)
        try emr(["export", "--state-dir", "\(work)/serial", "--out", "\(work)/serial-marts"])
        try Self.expectSameExports("\(work)/serial-marts", "\(work)/single", context: context + " (--workers 1)")
        // A second run resumes every task from its own file: nothing read again.
        let again = try emr(["consume", "--state-dir", "\(work)/tasks", "--group", "tasks"] + base)
        #expect(again.stdout.contains("read 0 "), "\(context): \(again.stdout)")
    }

    /// Records read over every task file of a state directory.
    static func recordsReadInTasks(_ directory: String) -> Int64 {
        ((try? TaskFiles.names(in: directory)) ?? []).reduce(0) { $0 + ((try? recordsRead(TaskFiles.path(of: $1, in: directory))) ?? 0) }
    }

    @Test("tasks that move to another instance and back, and an instance that restarts, resume from their own files: nothing doubled, the first instance alone ends with one consumer's marts")
    func tasksMoveAwayAndBack() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("move-back")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/export", "--patients", "120", "--organizations", "8", "--seed", String(seed)])
        let broker = try BrokerProcess()
        func instance(_ name: String) throws -> ConsumerProcess {
            try ConsumerProcess(["--state-dir", "\(work)/\(name)", "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                 "--group", "moves", "--batch-size", "100"], logs: "\(work)/\(name)")
        }
        let producer = try ConsumerProcess(["--export", "\(work)/export", "--all-facilities", "--rate", "1200", "--brokers", broker.bootstrap,
                                            "--topics", topicsDirectory], logs: "\(work)/producer", command: "produce")
        let first = try instance("a")
        #expect(first.wait(seconds: 60) { ((try? TaskFiles.names(in: "\(work)/a")) ?? []).count >= 6 }, "\(context): \(first.stderr.suffix(1_000))")
        let second = try instance("b")
        #expect(second.wait(seconds: 60) { Self.recordsReadInTasks("\(work)/b") > 0 }, "\(context): the second instance never applied a record: \(second.stderr.suffix(1_000))")
        // The second leaves the group: its tasks move back to the first, which resumes them from its own files.
        kill(second.process.processIdentifier, SIGTERM)
        #expect(second.exitStatus(within: 30) == 0, "\(context): \(second.stderr.suffix(1_000))")
        // The first instance stops and starts again: every task resumes from its own file.
        Thread.sleep(forTimeInterval: 1)
        kill(first.process.processIdentifier, SIGTERM)
        #expect(first.exitStatus(within: 30) == 0, "\(context): \(first.stderr.suffix(1_000))")
        #expect(producer.exitStatus(within: 120) == 0, "\(context): \(producer.stderr.suffix(1_000))")
        let produced = try #require(producer.stdout.firstMatch(of: /produced (\d+) records/).flatMap { Int64($0.1) }, "\(producer.stdout)")
        try emr(["consume", "--state-dir", "\(work)/a", "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                 "--group", "moves", "--exit-when-caught-up", "--quiet-period", "2"])
        #expect(Self.recordsReadInTasks("\(work)/a") == produced, "\(context): every record read exactly once into the first instance's files")
        let moved = try TaskFiles.names(in: "\(work)/b")
        #expect(!moved.isEmpty && moved.allSatisfy { (try? TaskFiles.names(in: "\(work)/a").contains($0)) ?? false },
                "\(context): tasks moved to the second instance and back: \(moved)")
        try emr(["verify", "--state-dir", "\(work)/a"])
        try emr(["export", "--state-dir", "\(work)/a", "--out", "\(work)/merged"])
        try emr(["consume", "--state", "\(work)/single.sqlite", "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                 "--group", "single", "--exit-when-caught-up", "--quiet-period", "1"])
        try emr(["export", "--state", "\(work)/single.sqlite", "--out", "\(work)/single"])
        try Self.expectSameExports("\(work)/merged", "\(work)/single", context: context)
    }

    @Test("three instances in one group, each with its own --state-dir, while the export streams in twice; one is killed -9 and not restarted: the others restore its tasks, and the three directories merge into one consumer's marts")
    func threeInstancesOneKilled() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("scale-out")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/export", "--patients", "150", "--organizations", "10", "--seed", String(seed)])
        let broker = try BrokerProcess()
        func instance(_ name: String) throws -> ConsumerProcess {
            try ConsumerProcess(["--state-dir", "\(work)/\(name)", "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                 "--group", "scale", "--batch-size", "200", "--exit-when-caught-up", "--quiet-period", "20"],
                                logs: "\(work)/\(name)")
        }
        let instances = try ["a", "b", "c"].map(instance)
        // The export streams in twice (the second time every record again, as a newer ingestion).
        let producers = try [1_500, 2_500].map { rate in
            try ConsumerProcess(["--export", "\(work)/export", "--all-facilities", "--rate", String(rate), "--brokers", broker.bootstrap,
                                 "--topics", topicsDirectory], logs: "\(work)/producer-\(rate)", command: "produce")
        }
        let killed = instances[0]
        let midStream = killed.wait(seconds: 60) { ((try? TaskFiles.names(in: "\(work)/a")) ?? []).count >= 2 }
        #expect(midStream, "\(context): instance a never held tasks: \(killed.stderr.suffix(1_000))")
        Thread.sleep(forTimeInterval: 2)
        kill(killed.process.processIdentifier, SIGKILL)
        killed.process.waitUntilExit()
        var produced: Int64 = 0
        for producer in producers {
            #expect(producer.exitStatus(within: 120) == 0, "\(context): \(producer.stderr.suffix(1_000))")
            produced += producer.stdout.firstMatch(of: /produced (\d+) records/).flatMap { Int64($0.1) } ?? 0
        }
        for (index, survivor) in instances.dropFirst().enumerated() {
            #expect(survivor.exitStatus(within: 180) == 0, "\(context): instance \(index + 1): \(survivor.stderr.suffix(1_500))")
        }
        let directories = ["a", "b", "c"].map { "\(work)/\($0)" }
        let chosen = try TaskFiles.furthest(in: directories)
        #expect(chosen.count == 8, "\(context): every task has a copy: \(chosen)")
        // A task of the killed instance is restored when another instance holds a copy at least
        // as far along (as far when the producers had finished before the kill, on a slow machine).
        let killedTasks = try TaskFiles.names(in: directories[0])
        let restored = try killedTasks.filter { name in
            let own = try TaskFiles.progress(of: TaskFiles.path(of: name, in: directories[0]))
            return try directories.dropFirst().contains { directory in
                try TaskFiles.names(in: directory).contains(name) && TaskFiles.progress(of: TaskFiles.path(of: name, in: directory)) >= own
            }
        }
        #expect(!killedTasks.isEmpty && restored == killedTasks, "\(context): the killed instance's tasks \(killedTasks) were restored elsewhere: \(restored)")
        try emr(["verify"] + directories.flatMap { ["--state-dir", $0] })
        try emr(["export", "--out", "\(work)/merged"] + directories.flatMap { ["--state-dir", $0] })

        try emr(["consume", "--state", "\(work)/single.sqlite", "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                 "--group", "single", "--exit-when-caught-up", "--quiet-period", "1"])
        #expect(try recordsRead("\(work)/single.sqlite") == produced, "\(context)")
        try emr(["export", "--state", "\(work)/single.sqlite", "--out", "\(work)/single"])
        try Self.expectSameExports("\(work)/merged", "\(work)/single", context: context)
    }
}
