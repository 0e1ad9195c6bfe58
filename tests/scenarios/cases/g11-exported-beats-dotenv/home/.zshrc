export GEMINI_API_KEY={{key:old:google-api}}
