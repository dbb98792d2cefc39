import Foundation
import TestSupport
import Testing

/// The `emr` executable built beside the tests.
func emrExecutable() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["EMR_BIN"] { return URL(fileURLWithPath: path) }
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("emr"),
        packageRoot.appendingPathComponent(".build/debug/emr"),
    ]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw TestFailure("emr executable not found (looked at \(candidates.map(\.path))); run `swift build` first")
    }
    return found
}

/// An `emr broker` child process with the repository's topics.
final class BrokerProcess {
    let process = Process()
    let bootstrap: String
    let bootstrapFile: URL

    init(count: Int = 1, topics: String = packageRoot.appendingPathComponent("topics").path) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("emr-broker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        bootstrapFile = dir.appendingPathComponent("bootstrap")
        process.executableURL = try emrExecutable()
        process.arguments = ["broker", "--count", String(count), "--bootstrap-file", bootstrapFile.path,
                             "--topics", topics]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let text = try? String(contentsOf: bootstrapFile, encoding: .utf8), !text.isEmpty {
                bootstrap = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw TestFailure("emr broker did not write \(bootstrapFile.path) within 15 s")
    }

    /// Sends SIGTERM and waits; returns the exit status.
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit { _ = stop() }
}
