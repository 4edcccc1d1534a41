import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The certificate as a printable page anyone with its link may open, the public verification page
/// (paste a credential, or open a certificate's link), my certificates, and my passbook.
struct CredentialPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("certificates", ":id", use: Self.certificate)
        routes.get("certificates", ":id", "credential.json", use: Self.credentialJSON)
        routes.get("certificates", ":id", "credential.jwt", use: Self.credentialJWS)
        routes.get("verify", use: Self.verifyForm)
        routes.post("verify", use: Self.verify)
        routes.get("my", "certificates", use: Self.mine)
        routes.get("my", "passbook", use: Self.passbook)
        routes.post("my", "passbook", use: Self.declare)
    }

    @Sendable static func certificate(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        let certificate = try await find(request)
        let keys = request.application.credentialKeys
        let credential = try JSONDecoder().decode(OpenBadgeCredential.self, from: Data(certificate.credential.utf8))
        let learner = credential.credentialSubject.identifier.first { $0.identityType == "name" }?.identityHash ?? ""
        // The credential says "Proficiency level 2 of 5" in English; the page names the level in the reader's language.
        let achievement = credential.credentialSubject.achievement
        let competencies: [HTML] = achievement.alignment.filter { $0.targetFramework != OpenBadgeCredential.nsqf(level: 1).targetFramework }.map { alignment in
            let level = alignment.targetDescription?.firstMatch(of: /level (\d) of 5/).flatMap { Int($0.1) }
            return "<li>\(alignment.targetName) — \(level.map { t("level.\($0)") } ?? alignment.targetDescription ?? "")</li>"
        }
        let status: HTML = certificate.revokedAt.map {
            UI.alert(t("certificate.revoked", ["date": Formats.date($0, t)]), reasons: certificate.revocationReason.map { [HTML(stringLiteral: HTML.escape($0))] } ?? [])
        } ?? "<p class=\"notice success no-print\" role=\"status\">\(t("certificate.valid"))</p>"
        let id = certificate.id!.uuidString
        let verifyURL = keys.verifyURL(certificate.id!)
        let qr = (try? QRCode(text: verifyURL)).map { HTML(unsafe: $0.svg(title: t("certificate.scan"))) } ?? ""
        let hours = Formats.decimal(credential.credentialSubject.creditsEarned ?? 0)
        let event = certificate.eventID != nil
        let provider = t(event ? "certificate.organisedBy" : "certificate.offeredBy", ["provider": credential.credentialSubject.achievement.creator.name])
        return Layout.page(t("certificate.title"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("nav.certificates"), "/my/certificates"), UI.Crumb(certificate.title)], """
            \(status)
            <section class="card certificate" aria-label="\(t("certificate.title"))">
            <p class="muted">\(credential.issuer.name)</p>
            <p>\(t("certificate.certifies"))</p>
            <h2>\(learner)</h2>
            <p>\(t(event ? "certificate.attended" : certificate.batchID != nil ? "certificate.completedProgramme" : certificate.qualificationID != nil ? "certificate.earnedQualification" : "certificate.completed"))</p>
            <h2 lang="\(credential.credentialSubject.achievement.inLanguage)">\(credential.name)</h2>
            <p>\(provider)\(achievement.creditsAvailable.map { credits in
                " · " + t("certificate.qualification", ["credits": Formats.number(credits), "level": achievement.alignment.first { $0.targetCode?.hasPrefix("NSQF-") == true }?.targetCode?.dropFirst(5).description ?? ""])
            } ?? ((credential.credentialSubject.creditsEarned ?? 0) >= 0.1 ? " · " + t("certificate.hours", ["hours": hours]) : ""))</p>
            \(competencies.isEmpty ? "" : "<h3>\(t("catalogue.competencies"))</h3><ul class=\"plain\">\(competencies)</ul>" as HTML)
            <p>\(t("certificate.issued", ["date": Formats.date(certificate.issuedAt, t)]))</p>
            \(qr)
            <p class="muted">\(t("certificate.number")) <strong>\(id.lowercased())</strong><br>\(t("certificate.verifyAt")) <a href="\(verifyURL)">\(verifyURL)</a></p>
            </section>
            <div class="actions">
            <a class="button secondary" href="/certificates/\(id)/credential.json" download>\(t("certificate.downloadJSON"))</a>
            <a class="button secondary" href="/certificates/\(id)/credential.jwt" download>\(t("certificate.downloadJWS"))</a>
            <a class="button secondary" href="/verify?id=\(id)">\(t("verify.title"))</a>
            </div>
            <p class="muted no-print">\(t("certificate.printHint"))</p>
            """)
    }

    static func find(_ request: Request) async throws -> Certificate {
        guard let certificate = try await Certificate.find(try request.id(of: "certificate"), on: request.db) else { throw Problem.notFound("certificate") }
        return certificate
    }

    /// The signed credential to keep: its JSON (`application/vc+ld+json` when asked for, else `application/json`).
    @Sendable static func credentialJSON(_ request: Request) async throws -> Response {
        let certificate = try await find(request)
        let wantsLinkedData = request.headers.accept.contains { $0.mediaType.type == "application" && $0.mediaType.subType == "vc+ld+json" }
        let type = wantsLinkedData ? HTTPMediaType(type: "application", subType: "vc+ld+json") : .json
        return download(certificate.credential, type: type, name: "karmayogi-certificate-\(certificate.id!.uuidString.lowercased()).json")
    }

    /// The same credential as its compact JWS, signed with the platform's Ed25519 key.
    @Sendable static func credentialJWS(_ request: Request) async throws -> Response {
        let certificate = try await find(request)
        return download(certificate.jws, type: HTTPMediaType(type: "application", subType: "jwt"), name: "karmayogi-certificate-\(certificate.id!.uuidString.lowercased()).jwt")
    }

    private static func download(_ text: String, type: HTTPMediaType, name: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = type
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }

    @Sendable static func verifyForm(_ request: Request) async throws -> HTML {
        guard let id = request.query[String.self, at: "id"] else { return verifyPage(request, verdict: nil, sent: "") }
        let verdict = try await Certificates.verify(CredentialReference(id), keys: request.application.credentialKeys, now: request.application.clock.now(), on: request.db)
        return verifyPage(request, verdict: verdict, sent: id)
    }

    struct VerifyForm: Content { var credential: String? }

    @Sendable static func verify(_ request: Request) async throws -> HTML {
        let sent = (try request.content.decode(VerifyForm.self).credential ?? "").trimmed
        let verdict = try await Certificates.verify(CredentialReference(sent), keys: request.application.credentialKeys, now: request.application.clock.now(), on: request.db)
        return verifyPage(request, verdict: verdict, sent: String(sent.prefix(200_000)))
    }

    static func verifyPage(_ request: Request, verdict: Certificates.Verdict?, sent: String) -> HTML {
        let t = request.catalogue
        var result: HTML = ""
        if let verdict {
            let reasons: [HTML] = verdict.notes.map { "<li>\($0.text(t))</li>" }
            let link: HTML = verdict.certificateId.map { "<p><a href=\"/certificates/\($0.uuidString)\">\(t("verify.open"))</a></p>" } ?? ""
            let tone = verdict.status == "valid" ? "success" : verdict.status == "revoked" ? "warning" : "danger"
            result = """
                <div class="card" role="status"><h2>\(UI.badge(t("verify.\(verdict.status)"), UI.Tone(rawValue: tone)!))</h2>\
                \(verdict.status == "valid" ? "<p>\(t("certificate.valid"))</p>" as HTML : "")\
                \(reasons.isEmpty ? "" : "<ul>\(reasons)</ul>" as HTML)\(link)</div>
                """
        }
        return Layout.page(t("verify.title"), for: request, """
            \(result)
            <form method="post" action="/verify" class="card">\(request.csrfField)
            <label for="credential">\(t("verify.paste"))</label>
            <span class="hint" id="credential-hint">\(t("verify.hint"))</span>
            <textarea id="credential" name="credential" rows="6" required aria-describedby="credential-hint">\(sent)</textarea>
            <div class="actions"><button>\(t("verify.button"))</button></div></form>
            """)
    }

    @Sendable static func mine(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let certificates = try await Certificate.query(on: request.db).filter(\.$userID == principal.userID).sort(\.$issuedAt, .descending).all()
        let rows: [HTML] = certificates.map {
            "<tr><td><a href=\"/certificates/\($0.id!.uuidString)\">\($0.title)</a></td><td>\(Formats.date($0.issuedAt, t))</td><td>\($0.revokedAt == nil ? t("certificate.validShort") : t("certificate.revokedShort"))</td></tr>"
        }
        return Layout.page(t("nav.certificates"), for: request, """
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("review.course"))</th><th>\(t("certificate.date"))</th><th>\(t("field.status"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"3\">\(t("certificate.none"))</td></tr>" as HTML : HTML(unsafe: rows.map(\.markup).joined()))</tbody></table></div>
            """)
    }

    @Sendable static func passbook(_ request: Request) async throws -> HTML {
        try await passbookPage(request, problem: nil)
    }

    static func passbookPage(_ request: Request, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let passbook = try await Passbook.of(principal.userID, on: request.db)
        let rows: [HTML] = passbook.items.map { item in
            let evidence: [HTML] = item.evidence.map { entry in
                let what: HTML = entry.certificateId.map { "<a href=\"/certificates/\($0.uuidString)\">\(t("passbook.\(entry.source.rawValue)"))</a>" } ?? "\(t("passbook.declared"))"
                return "<li>\(what) · \(t("designations.level")) \(entry.level) · \(t("passbook.\(entry.status.rawValue)"))\(entry.date.map { " · \(Formats.date($0, t))" } ?? "")</li>"
            }
            let name = [item.theme, item.subTheme].compactMap { $0 }.joined(separator: " › ")
            return "<tr><td><a href=\"/competencies/\(item.competencyId.uuidString)\">\(name)</a><ul>\(evidence)</ul></td><td>\(t("area.\(item.area.rawValue)"))</td><td>\(item.level.map(String.init) ?? "—")</td></tr>"
        }
        let framework = try await Competency.query(on: request.db).filter(\.$status == .current).sort(\.$key).all()
        let options: [HTML] = framework.map { "<option value=\"\($0.id!.uuidString)\">\(t("area.\($0.area.rawValue)")): \([$0.theme, $0.subTheme].compactMap { $0 }.joined(separator: " › "))</option>" }
        let levels: [HTML] = ProficiencyLevel.range.map { "<option value=\"\($0)\">\($0)</option>" }
        return Layout.page(t("nav.passbook"), for: request, """
            \(Layout.problem(problem, t))
            <p class="actions"><a href="/my/credits">\(t("credits.title"))</a></p>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("designations.competency"))</th><th>\(t("designations.area"))</th><th>\(t("passbook.level"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"3\">\(t("passbook.empty"))</td></tr>" as HTML : HTML(unsafe: rows.map(\.markup).joined()))</tbody></table></div>
            <form method="post" action="/my/passbook" class="card"><h2>\(t("passbook.declare"))</h2>\(request.csrfField)
            <label for="competencyId">\(t("designations.competency"))</label><select id="competencyId" name="competencyId" required><option value="">—</option>\(options)</select>
            <label for="level">\(t("designations.level"))</label><select id="level" name="level">\(levels)</select>
            <label for="note">\(t("passbook.note"))</label><input id="note" type="text" name="note" maxlength="1000">
            <p class="muted">\(t("passbook.declareHint"))</p>
            <p><button>\(t("passbook.declareButton"))</button></p></form>
            """)
    }

    struct DeclareForm: Content {
        var competencyId: String?
        var level: String?
        var note: String?
    }

    @Sendable static func declare(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(DeclareForm.self)
        do {
            guard let competency = form.competencyId.flatMap(UUIDText.parse) else { throw Problem.invalid("competencyId", "pick a competency from the framework") }
            _ = try await Passbook.declare(DeclarationInput(competencyId: competency, level: form.level.flatMap(Int.init) ?? 0, note: form.note),
                                           by: principal, on: request.db)
            return request.redirect(to: "/my/passbook")
        } catch let problem as Problem {
            return try await Layout.failed(problem, request) { try await passbookPage(request, problem: problem) }
        }
    }
}
