//! The OpenAPI 3.1 document of the platform's API, served by the platform at
//! [`PATH`]. Written as JSON here (two endpoints): a test reads it back with
//! utoipa's types and checks it lists exactly the platform's API routes.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const PATH: &str = "/api/v1/collecte/openapi.json";

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}
    })
}

fn report(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RapportDeDepot"}}}
    })
}

/// The document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "API de la plateforme de collecte Carnet (ARS / CNSA)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Dépôt des fichiers de recueil des porteurs. Chaque fichier est vérifié \
                cellule par cellule ; un fichier qui contient une erreur est refusé en entier et \
                rien n'en est compté. Un porteur ne dépose que pour les projets du registre dont \
                il est le porteur (SIRET de son compte)."
        },
        "paths": {
            super::api::DECLARATIONS: {
                "post": {
                    "summary": "Déposer un fichier de recueil (.xlsx)",
                    "description": "Corps : les octets du classeur (type \
                        application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ou \
                        application/octet-stream), ou un formulaire multipart dont la partie \
                        « fichier » est le classeur. 10 Mo au plus. Réservé au rôle porteur.",
                    "security": [{"jeton": []}, {"session": [], "csrf": []}],
                    "parameters": [{
                        "name": "nom",
                        "in": "query",
                        "required": false,
                        "description": "nom du fichier tel que le porteur le connaît (corps brut)",
                        "schema": {"type": "string"}
                    }],
                    "requestBody": {
                        "required": true,
                        "content": {
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                                {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}},
                            "application/octet-stream":
                                {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}},
                            "multipart/form-data": {"schema": {
                                "type": "object",
                                "required": ["fichier"],
                                "properties": {"fichier": {"type": "string", "contentMediaType": "application/octet-stream"}}
                            }}
                        }
                    },
                    "responses": {
                        "201": report("fichier accepté : nouvelle version de la déclaration (avertissements éventuels dans findings)"),
                        "400": error("corps vide (fichier_absent) ou formulaire multipart illisible (invalid_multipart)"),
                        "401": error("ni jeton valide, ni session avec son jeton x-csrf-token"),
                        "403": {
                            "description": "rôle autre que porteur (forbidden), ou projet qui n'est pas celui du porteur (projet_hors_perimetre, avec le rapport)",
                            "content": {"application/json": {"schema": {"oneOf": [
                                {"$ref": "#/components/schemas/Erreur"},
                                {"$ref": "#/components/schemas/RapportDeDepot"}
                            ]}}}
                        },
                        "413": error("fichier de plus de 10 Mo (payload_too_large)"),
                        "422": report("fichier refusé : erreurs du rapport (fichier_refuse), ou fichier illisible, endommagé ou hors limites (fichier_illisible)")
                    }
                }
            },
            super::attach::PROOFS: {
                "post": {
                    "summary": "Joindre une preuve (PDF) pour un ESSMS et une période",
                    "description": "Formulaire multipart : galis, finess, debut et fin (AAAA-MM-JJ, \
                        la période déclarée) et fichier (le PDF, 20 Mo au plus). Le projet doit \
                        être celui du porteur et l'ESSMS un établissement du projet au registre. \
                        Une preuve signée par Carnet est contrôlée aussitôt (signature, chaîne de \
                        certificats vers une autorité de confiance de la plateforme, FINESS, \
                        période et DUI actifs comparés à la version en vigueur de la \
                        déclaration) ; toute autre preuve est marquée à vérifier manuellement. \
                        Réservé au rôle porteur.",
                    "security": [{"jeton": []}, {"session": [], "csrf": []}],
                    "requestBody": {
                        "required": true,
                        "content": {
                            "multipart/form-data": {"schema": {
                                "type": "object",
                                "required": ["galis", "finess", "debut", "fin", "fichier"],
                                "properties": {
                                    "galis": {"type": "string", "description": "Référence GALIS du projet"},
                                    "finess": {"type": "string", "description": "FINESS géographique de l'ESSMS"},
                                    "debut": {"type": "string", "format": "date"},
                                    "fin": {"type": "string", "format": "date"},
                                    "fichier": {"type": "string", "contentMediaType": "application/pdf"}
                                }
                            }}
                        }
                    },
                    "responses": {
                        "201": {
                            "description": "preuve enregistrée et contrôlée (outcome : valide, invalide ou a-verifier-manuellement)",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PreuveJointe"}}}
                        },
                        "400": error("champ absent ou invalide (invalid_field, avec le champ), fichier absent (fichier_absent), fichier qui n'est pas un PDF ou vide (preuve_refusee), formulaire illisible (invalid_multipart)"),
                        "401": error("ni jeton valide, ni session avec son jeton x-csrf-token"),
                        "403": error("rôle autre que porteur (forbidden)"),
                        "404": error("projet inconnu du porteur ou hors de son périmètre (not_found)"),
                        "413": error("fichier de plus de 20 Mo (payload_too_large)")
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {
                "jeton": {"type": "http", "scheme": "bearer", "bearerFormat": "carnet_…",
                    "description": "Jeton d'API d'un compte de la plateforme"},
                "session": {"type": "apiKey", "in": "cookie", "name": "carnet_session",
                    "description": "Session ouverte par la page de connexion de la plateforme (même origine seulement)"},
                "csrf": {"type": "apiKey", "in": "header", "name": "x-csrf-token",
                    "description": "Avec la session : le jeton anti-falsification de la session (champ _csrf des formulaires)"}
            },
            "schemas": {
                "Erreur": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "description": "code stable"},
                        "message": {"type": "string", "description": "explication en français"}
                    }
                },
                "Constat": {
                    "type": "object",
                    "required": ["severity", "rule", "sheet", "message"],
                    "properties": {
                        "severity": {"type": "string", "enum": ["erreur", "avertissement"]},
                        "rule": {"type": "string", "description": "règle (SPEC §4.1)"},
                        "sheet": {"type": "string", "description": "feuille"},
                        "cell": {"type": ["string", "null"], "description": "cellule, par exemple H8"},
                        "value": {"type": ["string", "null"], "description": "valeur lue dans la cellule"},
                        "message": {"type": "string", "description": "constat et ce qui a été lu, en français"}
                    }
                },
                "Version": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer", "format": "int64"},
                        "galis": {"type": "string"},
                        "siret": {"type": "string"},
                        "period": {"type": "object", "properties": {
                            "start": {"type": "string", "format": "date"},
                            "end": {"type": "string", "format": "date"}
                        }},
                        "version": {"type": "integer", "format": "int64"},
                        "sent_by": {"type": "string"},
                        "received_at": {"type": "string", "format": "date-time"},
                        "file_name": {"type": "string"},
                        "file_sha256": {"type": "string"},
                        "report_sha256": {"type": "string"},
                        "retain_until": {"type": "string", "format": "date"}
                    }
                },
                "PreuveJointe": {
                    "type": "object",
                    "required": ["message", "outcome", "reasons", "remarks", "proof"],
                    "properties": {
                        "message": {"type": "string"},
                        "outcome": {"type": "string", "enum": ["valide", "invalide", "a-verifier-manuellement"]},
                        "reasons": {"type": "array", "items": {"type": "string"}, "description": "pourquoi invalide ou à vérifier, en français"},
                        "remarks": {"type": "array", "items": {"type": "string"}, "description": "autres chiffres qui diffèrent de la déclaration"},
                        "proof": {"type": "object", "properties": {
                            "id": {"type": "integer", "format": "int64"},
                            "galis": {"type": "string"},
                            "finess": {"type": "string"},
                            "period": {"type": "object", "properties": {
                                "start": {"type": "string", "format": "date"},
                                "end": {"type": "string", "format": "date"}
                            }},
                            "file_name": {"type": "string"},
                            "file_sha256": {"type": "string"},
                            "attached_by": {"type": "string"},
                            "attached_at": {"type": "string", "format": "date-time"},
                            "retain_until": {"type": "string", "format": "date"}
                        }}
                    }
                },
                "RapportDeDepot": {
                    "type": "object",
                    "required": ["message", "accepted", "file_name", "file_sha256", "errors", "warnings", "findings"],
                    "properties": {
                        "code": {"type": "string", "enum": ["fichier_refuse", "fichier_illisible", "projet_hors_perimetre"],
                            "description": "présent quand le fichier est refusé"},
                        "message": {"type": "string"},
                        "accepted": {"type": "boolean"},
                        "file_name": {"type": "string"},
                        "file_sha256": {"type": "string"},
                        "errors": {"type": "integer"},
                        "warnings": {"type": "integer"},
                        "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Constat"}},
                        "version": {"oneOf": [{"$ref": "#/components/schemas/Version"}, {"type": "null"}]}
                    }
                }
            }
        }
    })
}

pub async fn serve() -> Response {
    Json(document()).into_response()
}
