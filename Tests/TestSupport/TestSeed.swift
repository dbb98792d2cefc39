import Foundation

/// A seed from `EMR_TEST_SEED` or a fresh one, with the line that reruns it (for every
/// failure message of a random test).
public func testSeed() -> (UInt64, String) {
    let seed = ProcessInfo.processInfo.environment["EMR_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...1_000_000)
    return (seed, "seed \(seed) (rerun with EMR_TEST_SEED=\(seed))")
}

/// A new empty directory under the system's temporary directory, named after `label`.
public func temporaryDirectory(_ label: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// A test's own failure with a one-line message (set-up that could not be done).
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
