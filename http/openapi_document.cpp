// GET /openapi.json: API.md as an OpenAPI 3.1 document. Hand-maintained next to
// API.md; tests/http/openapi_test.cpp checks that every route the router has
// appears under `paths`, so a new route without documentation fails the build's tests.
#include "http/api.hpp"

namespace leadbase::http {
namespace {

// clang-format off
constexpr const char* document = R"json({
 "openapi": "3.1.0",
 "info": {
  "title": "leadbase",
  "version": "0.1.0",
  "description": "Signups as sales leads with an auditable, event-sourced history (docs/http-api.md in the repository). Every route is decided on the request header before a body is read (401/403/404/405/413/415 come without 100 Continue); a repeated query parameter or two Authorization headers are 400; a malformed X-Correlation-Id is replaced by a new one, returned in the response. Over capacity (connection slots, request bodies or answer bytes in flight, stream subscribers) the answer is 503 with Retry-After; HEAD is answered like GET, without the body."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {
   "bearer": []
  }
 ],
 "tags": [
  {
   "name": "ingest"
  },
  {
   "name": "read"
  },
  {
   "name": "audit"
  },
  {
   "name": "admin"
  },
  {
   "name": "operations"
  },
  {
   "name": "console"
  }
 ],
 "paths": {
  "/v1/signups": {
   "post": {
    "summary": "Ingest one signup",
    "operationId": "postSignup",
    "tags": [
     "ingest"
    ],
    "security": [
     {
      "bearer": [
       "ingest"
      ]
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Signup"
       }
      }
     }
    },
    "responses": {
     "202": {
      "description": "Appended",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AppendAnswer"
        }
       }
      },
      "headers": {
       "Location": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "200": {
      "description": "A duplicate of a stored event (same event_id and body); nothing appended",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AppendAnswer"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/events": {
   "post": {
    "summary": "Ingest a batch of events (JSON array or NDJSON), at most 1000 / 1 MiB",
    "operationId": "postEvents",
    "tags": [
     "ingest"
    ],
    "security": [
     {
      "bearer": [
       "ingest"
      ]
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "array",
        "maxItems": 1000,
        "items": {
         "$ref": "#/components/schemas/EventItem"
        }
       }
      },
      "application/x-ndjson": {
       "schema": {
        "type": "string"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "One result per item, in input order",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BatchAnswer"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/leads": {
   "get": {
    "summary": "The SDR/LDR work queue and search",
    "operationId": "listLeads",
    "tags": [
     "read"
    ],
    "security": [
     {
      "bearer": [
       "read"
      ]
     }
    ],
    "parameters": [
     {
      "name": "team",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "sdr",
        "ldr"
       ]
      },
      "description": "Work queue"
     },
     {
      "name": "level",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "A, B, C; comma list"
     },
     {
      "name": "status",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Lead status"
     },
     {
      "name": "creator_tier",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "none, nano, micro, mid, macro, mega"
     },
     {
      "name": "country",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "ISO 3166-1 alpha-2"
     },
     {
      "name": "min_followers",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": ""
     },
     {
      "name": "max_followers",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": ""
     },
     {
      "name": "signed_up_after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": ""
     },
     {
      "name": "signed_up_before",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "date-time"
      },
      "description": ""
     },
     {
      "name": "q",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Prefix of name, email or handle, case-insensitive"
     },
     {
      "name": "sort",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "-score",
        "score",
        "-signed_up_at",
        "signed_up_at",
        "-followers"
       ]
      },
      "description": "Default -score"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500,
       "default": 50
      },
      "description": ""
     },
     {
      "name": "cursor",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Opaque, from next_cursor. A walk (a first page and the pages its cursors lead to) lists exactly the leads that were in the queue when it began, each once, in the order they had then, however scores, followers or levels change meanwhile; leads that arrive later are not in it (a new walk sees them); each item shows the lead as it is now, and a lead erased since is left out. The server keeps the walk's snapshot of the index: at most 1000 walks are kept (the least recently used ends first), a walk ends after 10 minutes without a page, an erasure ends every walk (the snapshot would keep the erased values on disk), and walks do not survive a restart. A cursor of an ended walk answers 422: start again without a cursor."
     },
     {
      "$ref": "#/components/parameters/min_position"
     },
     {
      "$ref": "#/components/parameters/wait_ms"
     }
    ],
    "responses": {
     "200": {
      "description": "A page of lead views",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "items",
          "next_cursor"
         ],
         "properties": {
          "items": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/LeadView"
           }
          },
          "next_cursor": {
           "type": [
            "string",
            "null"
           ]
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/leads/{lead_id}": {
   "get": {
    "summary": "The current view of a lead",
    "operationId": "getLead",
    "tags": [
     "read"
    ],
    "security": [
     {
      "bearer": [
       "read"
      ]
     }
    ],
    "parameters": [
     {
      "$ref": "#/components/parameters/lead_id"
     },
     {
      "$ref": "#/components/parameters/min_position"
     },
     {
      "$ref": "#/components/parameters/wait_ms"
     }
    ],
    "responses": {
     "200": {
      "description": "The view; ETag is the version",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/LeadView"
        }
       }
      },
      "headers": {
       "ETag": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "304": {
      "description": "Not modified (If-None-Match)"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/leads/{lead_id}/history": {
   "get": {
    "summary": "Every event of the lead, oldest first, with its hash chain",
    "description": "The chain is checked on every read, link by link and against the lead's head, so a changed or removed newest event reads broken too. A damaged lead is quarantined, not an error: 200 with integrity broken, first_bad_version and integrity_problem; an event that cannot be read (corrupt bytes, failed verification or unsealing) is a DamagedEvent entry in its place, and when the head names a version that is not stored, a DamagedEvent for it (with the head's position) ends the list.",
    "operationId": "getHistory",
    "tags": [
     "audit"
    ],
    "security": [
     {
      "bearer": [
       "audit"
      ]
     }
    ],
    "parameters": [
     {
      "$ref": "#/components/parameters/lead_id"
     }
    ],
    "responses": {
     "200": {
      "description": "History",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "lead_id",
          "events",
          "integrity"
         ],
         "properties": {
          "lead_id": {
           "type": "string"
          },
          "events": {
           "type": "array",
           "items": {
            "oneOf": [
             {
              "$ref": "#/components/schemas/HistoryEvent"
             },
             {
              "$ref": "#/components/schemas/DamagedEvent"
             }
            ]
           }
          },
          "integrity": {
           "type": "string",
           "enum": [
            "verified",
            "broken"
           ]
          },
          "first_bad_version": {
           "$ref": "#/components/schemas/Integrity/properties/first_bad_version"
          },
          "integrity_problem": {
           "$ref": "#/components/schemas/Integrity/properties/integrity_problem"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  },
  "/v1/leads/{lead_id}/state": {
   "get": {
    "summary": "The view as it stood at a time",
    "operationId": "getStateAsOf",
    "tags": [
     "audit"
    ],
    "security": [
     {
      "bearer": [
       "audit"
      ]
     }
    ],
    "parameters": [
     {
      "$ref": "#/components/parameters/lead_id"
     },
     {
      "name": "as_of",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "format": "date-time"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The view as of the time, folded from the events that can be read. When the lead's chain (checked whole, head included) is broken, the document also has integrity (broken), first_bad_version and integrity_problem.",
      "content": {
       "application/json": {
        "schema": {
         "allOf": [
          {
           "$ref": "#/components/schemas/LeadView"
          },
          {
           "type": "object",
           "properties": {
            "integrity": {
             "const": "broken"
            },
            "first_bad_version": {
             "$ref": "#/components/schemas/Integrity/properties/first_bad_version"
            },
            "integrity_problem": {
             "$ref": "#/components/schemas/Integrity/properties/integrity_problem"
            }
           }
          }
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  },
  "/v1/leads/{lead_id}/replay": {
   "get": {
    "summary": "The fold, step by step",
    "operationId": "getReplay",
    "tags": [
     "audit"
    ],
    "security": [
     {
      "bearer": [
       "audit"
      ]
     }
    ],
    "parameters": [
     {
      "$ref": "#/components/parameters/lead_id"
     }
    ],
    "responses": {
     "200": {
      "description": "Steps",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "steps",
          "integrity"
         ],
         "properties": {
          "lead_id": {
           "type": "string"
          },
          "integrity": {
           "$ref": "#/components/schemas/Integrity/properties/integrity"
          },
          "first_bad_version": {
           "$ref": "#/components/schemas/Integrity/properties/first_bad_version"
          },
          "integrity_problem": {
           "$ref": "#/components/schemas/Integrity/properties/integrity_problem"
          },
          "steps": {
           "type": "array",
           "items": {
            "type": "object",
            "description": "A step whose event cannot be read shows a DamagedEvent and leaves the state as it was",
            "properties": {
             "event": {
              "oneOf": [
               {
                "$ref": "#/components/schemas/HistoryEvent"
               },
               {
                "$ref": "#/components/schemas/DamagedEvent"
               }
              ]
             },
             "state": {
              "$ref": "#/components/schemas/LeadView"
             }
            }
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  },
  "/v1/feed": {
   "get": {
    "summary": "All events of all leads in global order",
    "operationId": "getFeed",
    "tags": [
     "audit"
    ],
    "security": [
     {
      "bearer": [
       "audit"
      ]
     }
    ],
    "parameters": [
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0,
       "default": 0
      },
      "description": "Position to read after"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000,
       "default": 100
      },
      "description": ""
     }
    ],
    "responses": {
     "200": {
      "description": "A page",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "events",
          "next_after"
         ],
         "properties": {
          "events": {
           "type": "array",
           "description": "An event the log cannot read is a DamagedEvent (with its lead_id when the index names it) at its position, so a consumer sees the gap and goes on",
           "items": {
            "oneOf": [
             {
              "$ref": "#/components/schemas/FeedEvent"
             },
             {
              "$ref": "#/components/schemas/DamagedEvent"
             }
            ]
           }
          },
          "next_after": {
           "type": "integer"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  },
  "/v1/feed/stream": {
   "get": {
    "summary": "The feed as Server-Sent Events, live: id = position, data = a feed event; heartbeat comments every 15 s",
    "operationId": "streamFeed",
    "tags": [
     "audit"
    ],
    "security": [
     {
      "bearer": [
       "audit"
      ]
     }
    ],
    "parameters": [
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0,
       "default": 0
      },
      "description": "Position to stream after"
     },
     {
      "name": "Last-Event-ID",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Wins over after"
     }
    ],
    "responses": {
     "200": {
      "description": "text/event-stream (chunked); resume with Last-Event-ID",
      "content": {
       "text/event-stream": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    },
    "description": "At most limits.max_stream_subscribers streams at once (default 1000); the next request gets 503 with Retry-After instead of a stream."
   }
  },
  "/v1/stats": {
   "get": {
    "summary": "The seed's four metrics over a window",
    "operationId": "getStats",
    "tags": [
     "operations"
    ],
    "security": [
     {
      "bearer": [
       "read"
      ]
     }
    ],
    "parameters": [
     {
      "name": "window",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^[0-9]+[smhdw]$",
       "default": "1h"
      },
      "description": "e.g. 5m, 15m, 1h, 24h, 7d"
     },
     {
      "$ref": "#/components/parameters/min_position"
     },
     {
      "$ref": "#/components/parameters/wait_ms"
     }
    ],
    "responses": {
     "200": {
      "description": "Stats",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Stats"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus text exposition format 0.0.4",
    "operationId": "getMetrics",
    "tags": [
     "operations"
    ],
    "security": [
     {
      "bearer": [
       "metrics"
      ]
     }
    ],
    "responses": {
     "200": {
      "description": "Metrics",
      "content": {
       "text/plain; version=0.0.4": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  },
  "/healthz": {
   "get": {
    "summary": "Liveness",
    "operationId": "healthz",
    "tags": [
     "operations"
    ],
    "security": [],
    "responses": {
     "200": {
      "description": "Serving",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   },
   "head": {
    "summary": "As GET /healthz, without the body",
    "operationId": "headHealthz",
    "tags": [
     "operations"
    ],
    "security": [],
    "responses": {
     "200": {
      "description": "Serving",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  },
  "/readyz": {
   "get": {
    "summary": "Readiness: the log is open and can write, the write side runs, and projections are within 5 s of the head (the 503 names the kind of trouble only; details at /v1/admin/status)",
    "operationId": "readyz",
    "tags": [
     "operations"
    ],
    "security": [],
    "responses": {
     "200": {
      "description": "Ready. Damaged events the projections skipped do not make the instance unready (every other lead serves); they are reported by GET /v1/admin/projections, leadbase_damaged_events_total and the LeadbaseDamagedEvents alert. A projection page that keeps failing for over 5 s does make it unready.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "head": {
    "summary": "As GET /readyz, without the body",
    "operationId": "headReadyz",
    "tags": [
     "operations"
    ],
    "security": [],
    "responses": {
     "200": {
      "description": "Ready",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/leads/{lead_id}/enrichment/retry": {
   "post": {
    "summary": "A new enrichment attempt now",
    "operationId": "retryEnrichment",
    "tags": [
     "admin"
    ],
    "security": [
     {
      "bearer": [
       "admin"
      ]
     }
    ],
    "parameters": [
     {
      "$ref": "#/components/parameters/lead_id"
     }
    ],
    "responses": {
     "202": {
      "description": "Retry requested",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "lead_id": {
           "type": "string"
          },
          "status": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/leads/{lead_id}/erase": {
   "post": {
    "summary": "Erase the lead's personal data (LGPD art. 18)",
    "operationId": "eraseLead",
    "tags": [
     "admin"
    ],
    "security": [
     {
      "bearer": [
       "admin"
      ]
     }
    ],
    "parameters": [
     {
      "$ref": "#/components/parameters/lead_id"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "reason"
        ],
        "properties": {
         "reason": {
          "type": "string",
          "minLength": 1,
          "maxLength": 500
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Erased",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "lead_id": {
           "type": "string"
          },
          "status": {
           "const": "erased"
          },
          "version": {
           "type": "integer"
          },
          "position": {
           "type": "integer"
          },
          "duplicate": {
           "type": "boolean"
          }
         }
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/admin/projections/rebuild": {
   "post": {
    "summary": "Rebuild projections from the log",
    "description": "The new projection is built beside the serving one, from a snapshot of the log, and swapped in atomically: until then every read is answered by the old projection, whole (at its position; min_position waits for the switch); events appended meanwhile are applied after the switch. A rebuild that fails, is stopped or crashes leaves the old projection; GET /v1/admin/projections reports its rebuild_error.",
    "operationId": "rebuildProjections",
    "tags": [
     "admin"
    ],
    "security": [
     {
      "bearer": [
       "admin"
      ]
     }
    ],
    "parameters": [
     {
      "name": "projection",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "One projection; default all"
     }
    ],
    "responses": {
     "202": {
      "description": "Rebuild started",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/admin/projections": {
   "get": {
    "summary": "Projections and their progress",
    "operationId": "listProjections",
    "tags": [
     "admin"
    ],
    "security": [
     {
      "bearer": [
       "admin"
      ]
     }
    ],
    "responses": {
     "200": {
      "description": "Progress: per projection name, position, head, lag_events, lag_seconds, state (running, rebuilding, stopped), progress (while rebuilding, the share of the log the new projection has folded), rebuild_error (why the last rebuild failed, the old projection serving on; null if none), and the events each projection skipped because the log cannot read them (damaged_events, damaged; a rebuild replaces them with what the new projection skipped)",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "projections"
         ],
         "properties": {
          "projections": {
           "type": "array",
           "items": {
            "type": "object",
            "properties": {
             "name": {
              "type": "string"
             },
             "position": {
              "type": "integer"
             },
             "head": {
              "type": "integer"
             },
             "lag_events": {
              "type": "integer"
             },
             "lag_seconds": {
              "type": "number"
             },
             "state": {
              "type": "string",
              "enum": [
               "stopped",
               "running",
               "rebuilding"
              ]
             },
             "progress": {
              "type": "number"
             },
             "rebuild_error": {
              "type": [
               "string",
               "null"
              ],
              "description": "Why the last rebuild failed (the old projection serves on); null if none"
             },
             "damaged_events": {
              "type": "integer",
              "description": "Events skipped as unreadable (kept across restarts; a rebuild, beside or not, records what the new projection skipped instead)"
             },
             "damaged": {
              "type": "array",
              "description": "The first 100 of them, by position",
              "items": {
               "type": "object",
               "properties": {
                "position": {
                 "type": "integer"
                },
                "lead_id": {
                 "type": [
                  "string",
                  "null"
                 ]
                },
                "version": {
                 "type": [
                  "integer",
                  "null"
                 ]
                },
                "error": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  },
  "/v1/admin/backups": {
   "post": {
    "summary": "Take a consistent online backup into [backup] dir",
    "description": "Answers once the copy exists (every event up to `position`, the projections as of the same moment); the copy is then verified in the background and older backups beyond [backup] keep are pruned once it verified. One backup at a time.",
    "operationId": "createBackup",
    "tags": [
     "admin"
    ],
    "security": [
     {
      "bearer": [
       "admin"
      ]
     }
    ],
    "responses": {
     "202": {
      "description": "Taken; being verified",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": ["backup_id", "position", "verified"],
         "properties": {
          "backup_id": {"type": "integer", "minimum": 1},
          "position": {"type": "integer", "minimum": 0},
          "verified": {"type": "boolean", "const": false}
         }
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     },
     "500": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "get": {
    "summary": "The backups, newest first",
    "operationId": "listBackups",
    "tags": [
     "admin"
    ],
    "security": [
     {
      "bearer": [
       "admin"
      ]
     }
    ],
    "responses": {
     "200": {
      "description": "The backups in [backup] dir",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": ["in_progress", "backups"],
         "properties": {
          "in_progress": {"type": "boolean"},
          "backups": {"type": "array", "items": {
        "type": "object",
        "required": ["backup_id", "position", "created_at", "size_bytes", "verified", "problem"],
        "properties": {
         "backup_id": {"type": "integer", "minimum": 1},
         "position": {"type": "integer", "minimum": 0, "description": "The last event the backup holds"},
         "created_at": {"type": "string", "format": "date-time"},
         "size_bytes": {"type": "integer", "minimum": 0},
         "verified": {"type": "boolean", "description": "The copy was opened read-only and every position, chain and head audited"},
         "problem": {"type": ["string", "null"], "description": "Why verification failed; null when it passed or has not run yet"}
        }
       }}
         }
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "summary": "This document",
    "operationId": "openapi",
    "tags": [
     "operations"
    ],
    "security": [],
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  },
  "/v1/admin/status": {
   "get": {
    "summary": "Readiness with its details: the event log's write error, since when, failed writes and the last recovery; why the write side stopped",
    "operationId": "adminStatus",
    "tags": [
     "admin"
    ],
    "security": [
     {
      "bearer": [
       "admin"
      ]
     }
    ],
    "responses": {
     "200": {
      "description": "{ready, not_ready?, event_log: {writable, last_position, write_error?, failing_since?, failed_writes?, restart_needed?, failed_writes_total, recoveries, last_recovery?: {at, after_failed_writes, write_error}}, write_side?: {running, failure?}}",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/": {
   "get": {
    "summary": "The web console for SDRs and auditors",
    "operationId": "console",
    "tags": [
     "console"
    ],
    "security": [],
    "responses": {
     "200": {
      "description": "HTML",
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Overloaded"
     }
    }
   }
  }
 },
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "Scopes: ingest, read, audit, admin, metrics"
   }
  },
  "parameters": {
   "lead_id": {
    "name": "lead_id",
    "in": "path",
    "required": true,
    "description": "The ingest rule: [A-Za-z0-9._:-]{1,64}, not only dots. Any other id is 422 (field lead_id) on every route, before anything is read.",
    "schema": {
     "type": "string",
     "pattern": "^(?!\\.+$)[A-Za-z0-9._:-]{1,64}$"
    }
   },
   "min_position": {
    "name": "min_position",
    "in": "query",
    "required": false,
    "schema": {
     "type": "integer",
     "minimum": 0
    },
    "description": "Wait until the projection has applied this position"
   },
   "wait_ms": {
    "name": "wait_ms",
    "in": "query",
    "required": false,
    "schema": {
     "type": "integer",
     "minimum": 0,
     "maximum": 10000,
     "default": 2000
    }
   }
  },
  "responses": {
   "Problem": {
    "description": "An RFC 9457 problem document",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "Overloaded": {
    "description": "Over capacity (connection slots, request bodies or answer bytes in flight) or not ready: an RFC 9457 problem; try again after Retry-After seconds",
    "headers": {
     "Retry-After": {
      "schema": {
       "type": "integer"
      },
      "description": "Seconds to wait"
     }
    },
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   }
  },
  "schemas": {
   "Problem": {
    "type": "object",
    "required": [
     "type",
     "title",
     "status"
    ],
    "properties": {
     "type": {
      "type": "string",
      "examples": [
       "urn:leadbase:problem:validation"
      ]
     },
     "title": {
      "type": "string"
     },
     "status": {
      "type": "integer"
     },
     "detail": {
      "type": "string"
     },
     "errors": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "field",
        "message"
       ],
       "properties": {
        "field": {
         "type": "string"
        },
        "message": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "Signup": {
    "type": "object",
    "required": [
     "event_id",
     "lead_id",
     "occurred_at",
     "email",
     "name"
    ],
    "properties": {
     "event_id": {
      "type": "string",
      "pattern": "^(?!\\.+$)[A-Za-z0-9._:-]{1,64}$"
     },
     "lead_id": {
      "type": "string",
      "pattern": "^(?!\\.+$)[A-Za-z0-9._:-]{1,64}$"
     },
     "occurred_at": {
      "type": "string",
      "format": "date-time",
      "examples": [
       "2026-11-28T12:00:00.000Z"
      ]
     },
     "email": {
      "type": "string",
      "maxLength": 254
     },
     "name": {
      "type": "string",
      "maxLength": 200
     },
     "phone": {
      "type": [
       "string",
       "null"
      ]
     },
     "country": {
      "type": [
       "string",
       "null"
      ]
     },
     "locale": {
      "type": [
       "string",
       "null"
      ]
     },
     "document": {
      "type": [
       "string",
       "null"
      ]
     },
     "social": {
      "type": "object",
      "properties": {
       "instagram": {
        "type": [
         "string",
         "null"
        ],
        "maxLength": 64
       },
       "youtube": {
        "type": [
         "string",
         "null"
        ],
        "maxLength": 64
       },
       "tiktok": {
        "type": [
         "string",
         "null"
        ],
        "maxLength": 64
       }
      }
     },
     "source": {
      "type": "object",
      "properties": {
       "utm_source": {
        "type": [
         "string",
         "null"
        ]
       },
       "utm_medium": {
        "type": [
         "string",
         "null"
        ]
       },
       "utm_campaign": {
        "type": [
         "string",
         "null"
        ]
       },
       "utm_term": {
        "type": [
         "string",
         "null"
        ]
       },
       "utm_content": {
        "type": [
         "string",
         "null"
        ]
       }
      }
     }
    }
   },
   "AppendAnswer": {
    "type": "object",
    "required": [
     "lead_id",
     "event_id",
     "version",
     "position"
    ],
    "properties": {
     "lead_id": {
      "type": "string"
     },
     "event_id": {
      "type": "string"
     },
     "version": {
      "type": "integer"
     },
     "position": {
      "type": "integer"
     },
     "duplicate": {
      "type": "boolean"
     }
    }
   },
   "EventItem": {
    "type": "object",
    "required": [
     "event_id",
     "lead_id",
     "type",
     "occurred_at",
     "data"
    ],
    "properties": {
     "event_id": {
      "type": "string",
      "pattern": "^(?!\\.+$)[A-Za-z0-9._:-]{1,64}$"
     },
     "lead_id": {
      "type": "string",
      "pattern": "^(?!\\.+$)[A-Za-z0-9._:-]{1,64}$"
     },
     "type": {
      "type": "string",
      "enum": [
       "signed_up",
       "enriched",
       "enrichment_failed",
       "qualified"
      ]
     },
     "occurred_at": {
      "type": "string",
      "format": "date-time",
      "examples": [
       "2026-11-28T12:00:00.000Z"
      ]
     },
     "data": {
      "type": "object"
     },
     "expected_version": {
      "type": "integer",
      "minimum": 0
     }
    }
   },
   "BatchAnswer": {
    "type": "object",
    "required": [
     "results"
    ],
    "properties": {
     "results": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "event_id",
        "status"
       ],
       "properties": {
        "event_id": {
         "type": [
          "string",
          "null"
         ]
        },
        "status": {
         "type": "string",
         "enum": [
          "accepted",
          "duplicate",
          "rejected"
         ]
        },
        "position": {
         "type": "integer"
        },
        "version": {
         "type": "integer"
        },
        "error": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "LeadView": {
    "type": "object",
    "required": [
     "lead_id",
     "version",
     "status"
    ],
    "properties": {
     "lead_id": {
      "type": "string"
     },
     "version": {
      "type": "integer"
     },
     "status": {
      "type": "string",
      "enum": [
       "signed_up",
       "qualified",
       "disqualified",
       "enriching",
       "enriched",
       "enrichment_failed",
       "erased"
      ]
     },
     "signed_up_at": {
      "type": "string",
      "format": "date-time",
      "examples": [
       "2026-11-28T12:00:00.000Z"
      ]
     },
     "updated_at": {
      "type": "string",
      "format": "date-time",
      "examples": [
       "2026-11-28T12:00:00.000Z"
      ]
     },
     "contact": {
      "type": "object"
     },
     "qualification": {
      "type": [
       "object",
       "null"
      ]
     },
     "social": {
      "type": "object"
     },
     "enrichment": {
      "type": "object",
      "properties": {
       "state": {
        "type": "string",
        "enum": [
         "not_needed",
         "pending",
         "retry_scheduled",
         "succeeded",
         "failed"
        ]
       },
       "attempts": {
        "type": "integer"
       },
       "last_error": {
        "type": [
         "string",
         "null"
        ]
       },
       "next_attempt_at": {
        "type": [
         "string",
         "null"
        ]
       }
      }
     },
     "priority": {
      "type": [
       "object",
       "null"
      ],
      "properties": {
       "score": {
        "type": "number"
       },
       "level": {
        "type": "string",
        "enum": [
         "A",
         "B",
         "C"
        ]
       },
       "team": {
        "type": "string",
        "enum": [
         "sdr",
         "ldr"
        ]
       },
       "rules_version": {
        "type": "string"
       }
      }
     },
     "coverage": {
      "type": "number"
     },
     "processing_ms": {
      "type": [
       "integer",
       "null"
      ]
     }
    }
   },
   "HistoryEvent": {
    "type": "object",
    "required": [
     "position",
     "version",
     "event_id",
     "type",
     "occurred_at",
     "recorded_at",
     "data",
     "prev_hash",
     "hash"
    ],
    "properties": {
     "position": {
      "type": "integer"
     },
     "version": {
      "type": "integer"
     },
     "event_id": {
      "type": "string"
     },
     "type": {
      "type": "string"
     },
     "occurred_at": {
      "type": "string",
      "format": "date-time",
      "examples": [
       "2026-11-28T12:00:00.000Z"
      ]
     },
     "recorded_at": {
      "type": "string",
      "format": "date-time",
      "examples": [
       "2026-11-28T12:00:00.000Z"
      ]
     },
     "correlation_id": {
      "type": [
       "string",
       "null"
      ]
     },
     "causation_id": {
      "type": [
       "string",
       "null"
      ]
     },
     "data": {
      "type": "object"
     },
     "prev_hash": {
      "type": "string",
      "pattern": "^[0-9a-f]{64}$"
     },
     "hash": {
      "type": "string",
      "pattern": "^[0-9a-f]{64}$"
     }
    }
   },
   "DamagedEvent": {
    "type": "object",
    "description": "An event the log cannot read (corrupt bytes, failed FlatBuffers verification or unsealing, a missing record): what its keys tell, and why",
    "required": [
     "position",
     "version",
     "damaged",
     "error"
    ],
    "properties": {
     "position": {
      "type": [
       "integer",
       "null"
      ]
     },
     "lead_id": {
      "type": [
       "string",
       "null"
      ],
      "description": "In the feed only"
     },
     "version": {
      "type": [
       "integer",
       "null"
      ]
     },
     "damaged": {
      "const": true
     },
     "error": {
      "type": "string"
     }
    }
   },
   "Integrity": {
    "type": "object",
    "description": "The verdict on a lead's chain: every event readable, versions without a gap, each prev_hash the hash of the event before, and the last event the lead's head",
    "required": [
     "integrity"
    ],
    "properties": {
     "integrity": {
      "type": "string",
      "enum": [
       "verified",
       "broken"
      ]
     },
     "first_bad_version": {
      "type": "integer",
      "description": "When broken: the oldest version the chain cannot vouch for (unreadable, missing, or whose bytes no longer hash to what the next event or the head recorded)"
     },
     "integrity_problem": {
      "type": "string",
      "description": "When broken: what is wrong there"
     }
    }
   },
   "FeedEvent": {
    "allOf": [
     {
      "$ref": "#/components/schemas/HistoryEvent"
     },
     {
      "type": "object",
      "required": [
       "lead_id"
      ],
      "properties": {
       "lead_id": {
        "type": "string"
       }
      }
     }
    ]
   },
   "Stats": {
    "type": "object",
    "required": [
     "signups",
     "enrichment",
     "coverage",
     "processing_ms",
     "queues"
    ],
    "properties": {
     "signups": {
      "type": "object",
      "required": [
       "total",
       "in_window"
      ],
      "properties": {
       "total": {
        "type": "integer"
       },
       "in_window": {
        "type": "integer"
       }
      }
     },
     "enrichment": {
      "type": "object",
      "required": [
       "success_rate",
       "succeeded",
       "failed",
       "retrying",
       "failures_by_class"
      ],
      "properties": {
       "success_rate": {
        "type": [
         "number",
         "null"
        ]
       },
       "succeeded": {
        "type": "integer"
       },
       "failed": {
        "type": "integer"
       },
       "retrying": {
        "type": "integer"
       },
       "failures_by_class": {
        "type": "object",
        "additionalProperties": {
         "type": "integer"
        }
       }
      }
     },
     "coverage": {
      "type": "object",
      "required": [
       "complete_ratio",
       "mean"
      ],
      "properties": {
       "complete_ratio": {
        "type": [
         "number",
         "null"
        ]
       },
       "mean": {
        "type": [
         "number",
         "null"
        ]
       }
      }
     },
     "processing_ms": {
      "type": "object",
      "required": [
       "mean",
       "p50",
       "p95",
       "p99"
      ],
      "properties": {
       "mean": {
        "type": [
         "number",
         "null"
        ]
       },
       "p50": {
        "type": [
         "number",
         "null"
        ]
       },
       "p95": {
        "type": [
         "number",
         "null"
        ]
       },
       "p99": {
        "type": [
         "number",
         "null"
        ]
       }
      }
     },
     "queues": {
      "type": "object",
      "required": [
       "sdr",
       "ldr"
      ],
      "properties": {
       "sdr": {
        "type": "integer"
       },
       "ldr": {
        "type": "integer"
       }
      }
     }
    }
   }
  }
 }
})json";
// clang-format on

} // namespace

const char* openapi_document() noexcept { return document; }

} // namespace leadbase::http
