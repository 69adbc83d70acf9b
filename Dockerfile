# FieldReg station (or HQ with --role hq). Data lives in the /data volume.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FIELDREG_DATA=/data
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY fieldreg ./fieldreg
COPY static ./static
COPY sync ./sync
RUN useradd --create-home --uid 1000 fieldreg && mkdir -p /data && chown fieldreg /data
USER fieldreg
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
ENTRYPOINT ["python", "-m", "fieldreg"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
