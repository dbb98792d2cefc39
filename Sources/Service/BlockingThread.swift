import Foundation

/// Runs blocking work (the consume loop, a whole pipeline) on a thread of its own and awaits
/// it, so it never occupies the concurrency pool that serves HTTP.
public enum BlockingThread {
    public static func run(name: String, _ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            let thread = Thread {
                do { try body(); done.resume() } catch { done.resume(throwing: error) }
            }
            thread.name = name
            thread.start()
        }
    }
}
