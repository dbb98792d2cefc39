import Foundation
import Marts
import State
import Synchronization
import TestSupport
import Testing

let sharedRoot = SharedExports.root
let topicsDirectory = packageRoot.appendingPathComponent("topics").path

/// The 11 mart CSVs of two export directories are byte-identical.
func expectSameMartFiles(_ a: String, _ b: String, context: String) throws {
    for mart in MartCatalog.all {
        let left = try Data(contentsOf: URL(fileURLWithPath: "\(a)/\(mart.name).csv"))
        let right = try Data(contentsOf: URL(fileURLWithPath: "\(b)/\(mart.name).csv"))
        #expect(left == right, "\(context): \(mart.name) differs (\(left.count) vs \(right.count) bytes)")
    }
}

/// Runs emr and requires exit 0.
@discardableResult
func emr(_ arguments: [String]) throws -> ProcessResult {
    let result = try run(try emrExecutable(), arguments)
    #expect(result.status == 0, "emr \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr.suffix(2_000))")
    return result
}

func produceAll(_ export: String, _ broker: BrokerProcess) throws -> Int {
    let result = try emr(["produce", "--export", export, "--all-facilities", "--brokers", broker.bootstrap, "--topics", topicsDirectory])
    let match = result.stdout.firstMatch(of: /produced (\d+) records/)
    // The per-facility counts reach the summary once the sending ended.
    let facilities = result.stdout.firstMatch(of: /for (\d+) facilities/).flatMap { Int($0.1) } ?? 0
    #expect(facilities > 0, "emr produce's summary names no facility: \(result.stdout.suffix(500))")
    return Int(match?.1 ?? "0") ?? 0
}

/// Generates an export into `work/export` and publishes every facility of it; returns the count.
func generateAndProduce(_ work: String, patients: Int, organizations: Int, seed: UInt64, _ broker: BrokerProcess) throws -> Int64 {
    try emr(["generate", "--out", "\(work)/export", "--patients", String(patients), "--organizations", String(organizations), "--seed", String(seed)])
    return Int64(try produceAll("\(work)/export", broker))
}

func consume(_ state: String, _ broker: BrokerProcess, group: String) throws -> ProcessResult {
    try emr(["consume", "--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--group", group,
             "--exit-when-caught-up", "--quiet-period", "1"])
}

/// Records read, by the state file's counter.
func recordsRead(_ state: String) throws -> Int64 {
    try StateStore(readingExisting: state, migrations: MartSchema.migrations).counter(.recordsRead)
}

/// A running `emr consume` (or another long-running command), its output in files (for looking at while it runs).
final class ConsumerProcess {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String
    private let exit = ExitTime()

    /// When the process exited, noted by Foundation's termination handler (not by the test's
    /// task, which a busy suite may not run for seconds): what timing checks compare.
    var exitedAt: Date? { exit.date.withLock { $0 } }

    private final class ExitTime: Sendable {
        let date = Mutex<Date?>(nil)
    }

    init(_ arguments: [String], logs: String, command: String = "consume", environment: [String: String] = [:]) throws {
        stdoutPath = "\(logs).out"
        stderrPath = "\(logs).err"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = try emrExecutable()
        process.arguments = [command] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        let exit = self.exit
        process.terminationHandler = { _ in exit.date.withLock { $0 = Date() } }
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until `condition` holds (true) or `seconds` pass (false).
    func wait(seconds: Double, until condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return try condition()
    }

    /// Waits for the exit for up to `seconds`; nil if it is still running (then killed).
    func exitStatus(within seconds: Double) -> Int32? {
        if wait(seconds: seconds, until: { !process.isRunning }) { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

