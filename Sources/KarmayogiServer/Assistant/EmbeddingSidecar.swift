import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// The optional embedding sidecar (`Sidecar/embeddings.py`, `EMBEDDINGS_URL`): sentence vectors from a small English
/// model over loopback, for the assistant's semantic ranking. Everything works without it: when it is not configured,
/// not running or slow, the assistant ranks lexically, and after a failure the sidecar is left alone for a while
/// rather than asked again by every question.
final class EmbeddingSidecar: Sendable {
    struct Health: Decodable { var model: String; var dimensions: Int; var maxTexts: Int }
    private struct Request: Content { var texts: [String] }
    private struct Answer: Decodable { var model: String; var dimensions: Int; var vectors: [String] }

    let url: String
    /// How long a question waits for its vector.
    let questionTimeout: TimeAmount
    /// How long after a failure the sidecar is left alone.
    let pause: TimeInterval
    private struct State { var health: Health?; var pausedUntil: Date? }
    private let state = NIOLockedValueBox(State())

    init(url: String, questionTimeout: TimeInterval = 1, pause: TimeInterval = 30) {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        self.url = url
        self.questionTimeout = .milliseconds(Int64(questionTimeout * 1000))
        self.pause = pause
    }

    /// Why `EMBEDDINGS_URL` cannot be used, or nil: it must be plain http to a loopback address, with a port.
    static func problem(with url: String) -> String? {
        guard let parts = URLComponents(string: url), parts.scheme == "http", let host = parts.host, parts.port != nil,
              (parts.path.isEmpty || parts.path == "/"), parts.query == nil, parts.user == nil
        else { return "must be http://HOST:PORT (the sidecar's address, e.g. http://127.0.0.1:8190)" }
        let loopback = host == "localhost" || host == "[::1]" || host == "::1" || host.split(separator: ".").first == "127"
        return loopback ? nil : "must be a loopback address (127.0.0.1, ::1 or localhost): the sidecar is called on this machine only"
    }

    /// The model's name and size, asked once (and again after a failure); nil while the sidecar cannot be reached.
    func health(client: any Client) async -> Health? {
        if let known = state.withLockedValue({ $0.health }) { return known }
        guard available else { return nil }
        do {
            let response = try await client.get(URI(string: url + "/health")) { [questionTimeout] in $0.timeout = max(.seconds(2), questionTimeout) }
            guard response.status == .ok, let health = try? response.content.decode(Health.self), health.dimensions > 0, health.maxTexts > 0 else {
                throw Problem(.badGateway, "the embedding sidecar's /health answered \(response.status.code)")
            }
            state.withLockedValue { $0.health = health }
            return health
        } catch {
            failed()
            return nil
        }
    }

    /// One unit vector per text, in order, or nil when the sidecar is paused, unreachable, slower than `timeout` or
    /// answers something else than it should.
    func embed(_ texts: [String], timeout: TimeAmount, client: any Client) async -> [[Float]]? {
        guard !texts.isEmpty else { return [] }
        guard let health = await health(client: client) else { return nil }
        do {
            let response = try await client.post(URI(string: url + "/embed")) {
                try $0.content.encode(Request(texts: texts))
                $0.timeout = timeout
            }
            guard response.status == .ok, let answer = try? response.content.decode(Answer.self), answer.model == health.model,
                  answer.dimensions == health.dimensions, answer.vectors.count == texts.count
            else { throw Problem(.badGateway, "the embedding sidecar answered \(response.status.code)") }
            let vectors = answer.vectors.compactMap { Data(base64Encoded: $0).flatMap(PassageVectors.decode) }.filter { $0.count == health.dimensions }
            guard vectors.count == texts.count else { throw Problem(.badGateway, "the embedding sidecar sent vectors of the wrong size") }
            return vectors
        } catch {
            failed()
            return nil
        }
    }

    /// False for a while after a failure.
    var available: Bool {
        state.withLockedValue { state in state.pausedUntil.map { $0 <= Date() } ?? true }
    }

    private func failed() {
        state.withLockedValue { state in
            state.pausedUntil = Date().addingTimeInterval(pause)
            state.health = nil
        }
    }
}

extension Application {
    private struct EmbeddingSidecarKey: StorageKey { typealias Value = EmbeddingSidecar }

    /// The embedding sidecar, when `EMBEDDINGS_URL` names one (set by `configure`).
    var embeddingSidecar: EmbeddingSidecar? {
        get { storage[EmbeddingSidecarKey.self] }
        set { storage[EmbeddingSidecarKey.self] = newValue }
    }
}
