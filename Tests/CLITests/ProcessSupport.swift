import Foundation
import Testing

/// The package root (two levels above this file's folder).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `emr` executable built beside the tests.
func emrExecutable() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["EMR_BIN"] { return URL(fileURLWithPath: path) }
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("emr"),
        packageRoot.appendingPathComponent(".build/debug/emr"),
    ]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw ProcessFailure("emr executable not found (looked at \(candidates.map(\.path))); run `swift build` first")
    }
    return found
}

/// A program found on PATH.
func executableOnPath(_ name: String) throws -> URL {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw ProcessFailure("\(name) is not on PATH (make setup installs it)")
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion, feeding `input` on stdin.
func run(_ executable: URL, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
         directory: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inp
    try process.run()
    if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
    try inp.fileHandleForWriting.close()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}

/// An `emr broker` child process with the repository's topics.
final class BrokerProcess {
    let process = Process()
    let bootstrap: String
    let bootstrapFile: URL

    init(count: Int = 1) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("emr-broker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        bootstrapFile = dir.appendingPathComponent("bootstrap")
        process.executableURL = try emrExecutable()
        process.arguments = ["broker", "--count", String(count), "--bootstrap-file", bootstrapFile.path,
                             "--topics", packageRoot.appendingPathComponent("topics").path]
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
        throw ProcessFailure("emr broker did not write \(bootstrapFile.path) within 15 s")
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
