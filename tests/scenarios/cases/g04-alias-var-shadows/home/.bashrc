# ~/.bashrc
export GOOGLE_API_KEY="{{key:old:google-api}}"
