set -gx ANTHROPIC_API_KEY '{{key:prototype-2024}}'
